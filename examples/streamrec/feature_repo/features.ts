/**
 * StreamRec features on MovieLens. Every feature is declared once here and served from both stores:
 * offline (point-in-time training sets through getHistoricalFeatures) and online (after materialize).
 * The Parquet sources are daily / per-event snapshots written by examples/streamrec (see ADR 0051).
 */
import {
  entity,
  field,
  fileSource,
  featureView,
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

export const userStatsSource = fileSource({
  name: 'user_stats_source',
  path: 'data/user_stats.parquet',
  timestampField: 'event_timestamp',
});
export const itemStatsSource = fileSource({
  name: 'item_stats_source',
  path: 'data/item_stats.parquet',
  timestampField: 'event_timestamp',
});
export const itemContentSource = fileSource({
  name: 'item_content_source',
  path: 'data/item_content.parquet',
  timestampField: 'event_timestamp',
});
export const itemTagsSource = fileSource({ name: 'item_tags_source', path: 'data/item_tags.parquet', timestampField: 'event_timestamp' });

/** Long-term taste, as of the end of each active day. */
export const userStats = featureView({
  name: 'user_stats',
  entities: [user],
  source: userStatsSource,
  schema: [
    field('n_ratings', Int64, { description: 'ratings given so far' }),
    field('mean_rating', Float64),
    field('days_active', Int64, { description: 'distinct UTC days with a rating' }),
    field('genre_affinity', ArrayOf(Float32), { description: 'share of rated movies per genre (GENRES order)' }),
  ],
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

/** Popularity and reception; a row whenever a value changes (new ratings, or a day leaving a window). */
export const itemStats = featureView({
  name: 'item_stats',
  entities: [item],
  source: itemStatsSource,
  schema: [field('pop_7d', Int64), field('pop_30d', Int64), field('item_n_ratings', Int64), field('item_mean_rating', Float64)],
});

/** Catalog content: known when the item enters the catalog. */
export const itemContent = featureView({
  name: 'item_content',
  entities: [item],
  source: itemContentSource,
  schema: [field('genres', ArrayOf(Float32), { description: 'multi-hot genres (GENRES order)' }), field('year', Int32)],
});

/** Tag-based content vector: a hashed bag of the tags users gave, as of each tagging day. */
export const itemTags = featureView({
  name: 'item_tags',
  entities: [item],
  source: itemTagsSource,
  schema: [field('tag_vector', ArrayOf(Float32), { description: '32-bucket hashed, L2-normalized bag of tags' })],
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
