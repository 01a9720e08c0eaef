/**
 * StreamRec features on MovieLens. Every feature is declared once here and served from both stores:
 * offline (point-in-time training sets through getHistoricalFeatures) and online (after materialize).
 * The rating and tag aggregates are aggregation views over the loader's event files, computed by
 * frec as tiles (docs/aggregations.md); user_recent is a stream view backfilled from the same events.
 */
import {
  entity,
  field,
  fileSource,
  featureView,
  aggregationFeatureView,
  onDemandFeatureView,
  featureService,
  requestSource,
  streamSource,
  streamFeatureView,
  lastN,
  sessionLength,
  sessionDuration,
  Int32,
  Int64,
  Float32,
  Float64,
  Array as ArrayOf,
} from '@frec/core';

export const user = entity({ name: 'user', joinKey: 'user_id', valueType: Int64, description: 'A MovieLens user' });
export const item = entity({ name: 'item', joinKey: 'item_id', valueType: Int64, description: 'A MovieLens movie' });

/**
 * Rating events as the loader writes them (user_id, item_id, rating, event_timestamp, and the rated
 * item's catalog genres): the event source every rating aggregate below is computed from.
 */
export const ratingEvents = fileSource({
  name: 'rating_events',
  path: 'data/interactions.parquet',
  timestampField: 'event_timestamp',
  description: 'one row per rating: user_id, item_id, rating, event_timestamp, genres (the item catalog genres)',
});

/** Tag events (user_id, item_id, tag, event_timestamp). */
export const tagEvents = fileSource({ name: 'tag_events', path: 'data/tags.parquet', timestampField: 'event_timestamp' });

/** Catalog content written by the loader (static data, not a computed feature): genres multi-hot and year, stamped at the epoch. */
export const itemContentSource = fileSource({
  name: 'item_content_source',
  path: 'data/item_content.parquet',
  timestampField: 'event_timestamp',
});

/**
 * "All of history": the aggregates that are cumulative (counts since the first rating) use a window
 * longer than any data set's span (100 years); tiles are kept only for days with events, so the
 * window's length costs nothing.
 */
const ALL_TIME = '36500d';

/** The MovieLens genres in the fixed GENRES order (src/data/genres.ts), as the affinity counts' filters. */
const GENRE_NAMES = [
  'Action',
  'Adventure',
  'Animation',
  'Children',
  'Comedy',
  'Crime',
  'Documentary',
  'Drama',
  'Fantasy',
  'Film-Noir',
  'Horror',
  'IMAX',
  'Musical',
  'Mystery',
  'Romance',
  'Sci-Fi',
  'Thriller',
  'War',
  'Western',
] as const;

/** Width of the hashed bag of tags (TAG_DIM in src/data/genres.ts). */
const TAG_BUCKETS = 32;

/**
 * Each user's rating aggregates over all of history: count, mean rating, distinct active UTC days,
 * and the count of rated movies per genre. Computed by frec from the rating events (tiles of one
 * day), exact at any read time: offline at each training row's timestamp, online at the request.
 */
export const userRatingAggs = aggregationFeatureView({
  name: 'user_rating_aggs',
  entities: [user],
  source: ratingEvents,
  tileSize: '1d',
  derived: { utc_day: 'CAST(floor(epoch(event_timestamp) / 86400) AS BIGINT)' },
  aggregations: [
    { name: 'ratings', function: 'count', windows: [ALL_TIME] },
    { name: 'user_rating_mean', column: 'rating', function: 'mean', windows: [ALL_TIME] },
    { name: 'days', column: 'utc_day', function: 'countDistinct', windows: [ALL_TIME] },
    ...GENRE_NAMES.map(
      (g, i) => ({ name: `genre_${i}`, function: 'count', filter: `list_contains(genres, '${g}')`, windows: [ALL_TIME] }) as const,
    ),
  ],
});

/** Long-term taste: user_rating_aggs as the models read them, genre counts as shares of the ratings. Null before a user's first rating. */
export const userStats = onDemandFeatureView({
  name: 'user_stats',
  sources: [userRatingAggs],
  schema: [
    field('n_ratings', Int64, { description: 'ratings given so far' }),
    field('mean_rating', Float64),
    field('days_active', Int64, { description: 'distinct UTC days with a rating' }),
    field('genre_affinity', ArrayOf(Float32), { description: 'share of rated movies per genre (GENRES order)' }),
  ],
  // Self-contained (a feature server rebuilds it from its source text): 19 genres, the window '36500d'.
  transform: (r) => {
    const n = Number(r.ratings_36500d ?? 0);
    if (!(n > 0)) return { n_ratings: null, mean_rating: null, days_active: null, genre_affinity: null };
    const affinity: number[] = [];
    for (let g = 0; g < 19; g++) affinity.push(Number(r[`genre_${g}_36500d`] ?? 0) / n);
    return { n_ratings: n, mean_rating: r.user_rating_mean_36500d, days_active: r.days_36500d, genre_affinity: affinity };
  },
});

/**
 * Interactions as the app publishes them to Redis Streams. The batch source is where this view's
 * feature rows live offline: the DuckDB backfill of data/interactions.parquet writes them there
 * (examples/streamrec/src/features/stream-view-backfill.ts) and `frec stream` appends to them.
 */
export const interactionStream = streamSource({
  name: 'interaction_stream',
  topic: 'streamrec:interactions',
  timestampField: 'event_timestamp',
  batchSource: fileSource({ name: 'user_recent_source', path: 'data/user_recent/**/*.parquet', timestampField: 'event_timestamp' }),
  description: 'user_id, item_id, rating and event_timestamp of each rating',
});

/**
 * Short-term state, as of each interaction: the 10 most recent items (newest first) and the current
 * session's length and duration in seconds (a pause over 30 min starts a new session). Computed
 * online by the stream worker and offline by the backfill, with the same code (ADR 0031).
 */
export const userRecent = streamFeatureView({
  name: 'user_recent',
  entities: [user],
  source: interactionStream,
  aggregations: [
    lastN('item_id', 10, { type: Int64, name: 'last_10_items' }),
    sessionLength({ gap: '30m' }),
    sessionDuration({ gap: '30m' }),
  ],
});

/** Each item's ratings: popularity over the last 7 and 30 days (up to the read time), and over all of history with the mean rating. */
export const itemRatingAggs = aggregationFeatureView({
  name: 'item_rating_aggs',
  entities: [item],
  source: ratingEvents,
  tileSize: '1d',
  aggregations: [
    { name: 'pop', function: 'count', windows: ['7d', '30d', ALL_TIME] },
    { name: 'item_rating_mean', column: 'rating', function: 'mean', windows: [ALL_TIME] },
  ],
});

/** Popularity and reception, as the models read them. Popularity is 0 and the rest null before an item's first rating. */
export const itemStats = onDemandFeatureView({
  name: 'item_stats',
  sources: [itemRatingAggs],
  schema: [field('pop_7d', Int64), field('pop_30d', Int64), field('item_n_ratings', Int64), field('item_mean_rating', Float64)],
  transform: (r) => {
    const n = Number(r.pop_36500d ?? 0);
    return {
      pop_7d: Number(r.pop_7d ?? 0),
      pop_30d: Number(r.pop_30d ?? 0),
      item_n_ratings: n > 0 ? n : null,
      item_mean_rating: n > 0 ? r.item_rating_mean_36500d : null,
    };
  },
});

/** Catalog content: known when the item enters the catalog. */
export const itemContent = featureView({
  name: 'item_content',
  entities: [item],
  source: itemContentSource,
  schema: [field('genres', ArrayOf(Float32), { description: 'multi-hot genres (GENRES order)' }), field('year', Int32)],
});

/** Each item's tags over all of history, counted per hash bucket (md5 of the tag, mod 32). */
export const itemTagAggs = aggregationFeatureView({
  name: 'item_tag_aggs',
  entities: [item],
  source: tagEvents,
  tileSize: '1d',
  derived: { tag_bucket: `CAST(md5_number(tag) % ${TAG_BUCKETS} AS INTEGER)` },
  aggregations: Array.from(
    { length: TAG_BUCKETS },
    (_, b) => ({ name: `tag_${b}`, function: 'count', filter: `tag_bucket = ${b}`, windows: [ALL_TIME] }) as const,
  ),
});

/** Tag-based content vector: the hashed bag of the tags users gave up to the read time, L2-normalized. Null before the first tag. */
export const itemTags = onDemandFeatureView({
  name: 'item_tags',
  sources: [itemTagAggs],
  schema: [field('tag_vector', ArrayOf(Float32), { description: '32-bucket hashed, L2-normalized bag of tags' })],
  transform: (r) => {
    const counts: number[] = [];
    for (let b = 0; b < 32; b++) counts.push(Number(r[`tag_${b}_36500d`] ?? 0));
    const norm = Math.sqrt(counts.reduce((s, c) => s + c * c, 0));
    return { tag_vector: norm > 0 ? counts.map((c) => c / norm) : null };
  },
});

/** When the request happens, sent by the caller. */
export const requestContext = requestSource({
  name: 'request_context',
  schema: [field('hour_of_day', Int32), field('day_of_week', Int32)],
});

/** Cyclic encodings of the request time, computed identically for training and serving. */
export const contextFeatures = onDemandFeatureView({
  name: 'context_features',
  sources: [requestContext],
  schema: [
    field('hour_sin', Float64),
    field('hour_cos', Float64),
    field('dow_sin', Float64),
    field('dow_cos', Float64),
    field('is_weekend', Float64),
  ],
  transform: (row) => {
    const h = Number(row.hour_of_day ?? 0);
    const d = Number(row.day_of_week ?? 0);
    return {
      hour_sin: Math.sin((2 * Math.PI * h) / 24),
      hour_cos: Math.cos((2 * Math.PI * h) / 24),
      dow_sin: Math.sin((2 * Math.PI * d) / 7),
      dow_cos: Math.cos((2 * Math.PI * d) / 7),
      is_weekend: d === 0 || d === 6 ? 1 : 0,
    };
  },
});

/** What the two-tower retrieval model reads: user + stream features for the user tower, content for the item tower. */
export const twoTowerV1 = featureService({
  name: 'two_tower_v1',
  features: [userStats, userRecent, itemContent, itemTags, itemStats.select(['pop_30d'])],
});

/** What the DCN-V2 ranker reads: user, stream, item and request-context features. */
export const rankerV1 = featureService({
  name: 'ranker_v1',
  features: [userStats, userRecent, itemStats, itemContent, itemTags, contextFeatures],
});
