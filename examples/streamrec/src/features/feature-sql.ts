import { GENRES, TAG_DIM } from '../data/genres.js';
import { sqlString } from '../data/duckdb-session.js';

/**
 * The DuckDB SQL that turns interaction and tag events into point-in-time feature snapshots.
 * Every row's event_timestamp is the moment its values became true, so an as-of join never
 * hands a training example a value computed from later events:
 * - daily aggregates are stamped at the END of their UTC day (a rating at 10:00 shows up at 24:00);
 * - windowed popularity also gets a row when a day leaves the 7- or 30-day window.
 * Per-event features (last items, session) are not here: user_recent is a stream feature view,
 * backfilled by stream-view-backfill.ts with the stream worker's code, stamped at each event.
 */
export interface FeatureInputs {
  interactions: string;
  items: string;
  tags: string;
}

/** Statements that stage the inputs as tables `r` (ratings with day_end and genres), `items`, `tags`. */
export function stageSql(inputs: FeatureInputs): string[] {
  return [
    `CREATE TABLE items AS SELECT * FROM read_parquet(${sqlString(inputs.items)})`,
    `CREATE TABLE tags AS SELECT * FROM read_parquet(${sqlString(inputs.tags)})`,
    `CREATE TABLE r AS SELECT i.user_id, i.item_id, i.rating, i.event_timestamp,
       date_trunc('day', i.event_timestamp) + INTERVAL 1 DAY AS day_end, coalesce(it.genres, []::VARCHAR[]) AS genres
     FROM read_parquet(${sqlString(inputs.interactions)}) i LEFT JOIN items it USING (item_id)`,
    `CREATE TABLE genre_ix AS SELECT unnest(${genreList()}) AS g, generate_subscripts(${genreList()}, 1) - 1 AS gi`,
  ];
}

function genreList(): string {
  return `[${GENRES.map((g) => sqlString(g)).join(', ')}]`;
}

/** User daily snapshots: cumulative counts, mean rating, active days and genre affinity (share of ratings per genre). */
export function userStatsSql(): string {
  return `WITH ud AS (
      SELECT user_id, day_end, count(*) AS n, sum(rating) AS s FROM r GROUP BY ALL),
    cum AS (
      SELECT user_id, day_end,
        sum(n) OVER w AS n_ratings, sum(s) OVER w / sum(n) OVER w AS mean_rating, count(*) OVER w AS days_active
      FROM ud WINDOW w AS (PARTITION BY user_id ORDER BY day_end ROWS UNBOUNDED PRECEDING)),
    ug AS (
      SELECT user_id, day_end, g, count(*) AS c FROM (SELECT user_id, day_end, unnest(genres) AS g FROM r) GROUP BY ALL),
    grid AS (
      SELECT ud.user_id, ud.day_end, gx.gi, coalesce(ug.c, 0) AS c
      FROM ud CROSS JOIN genre_ix gx LEFT JOIN ug ON ug.user_id = ud.user_id AND ug.day_end = ud.day_end AND ug.g = gx.g),
    gcum AS (
      SELECT user_id, day_end, gi, sum(c) OVER (PARTITION BY user_id, gi ORDER BY day_end ROWS UNBOUNDED PRECEDING) AS cc FROM grid),
    aff AS (
      SELECT user_id, day_end, list(cc ORDER BY gi) AS counts FROM gcum GROUP BY ALL)
    SELECT cum.user_id, cum.day_end AS event_timestamp, CAST(cum.n_ratings AS BIGINT) AS n_ratings,
      CAST(cum.mean_rating AS DOUBLE) AS mean_rating, CAST(cum.days_active AS BIGINT) AS days_active,
      CAST(list_transform(aff.counts, c -> c / cum.n_ratings) AS FLOAT[]) AS genre_affinity
    FROM cum JOIN aff USING (user_id, day_end) ORDER BY event_timestamp, user_id`;
}

/** Item snapshots: popularity over 7 and 30 days, all-time count and mean rating; a row whenever one of them changes. */
export function itemStatsSql(): string {
  return `WITH idaily AS (
      SELECT item_id, day_end, count(*) AS n, sum(rating) AS s FROM r GROUP BY ALL),
    icand AS (
      SELECT DISTINCT item_id, day_end + to_days(k) AS t FROM idaily CROSS JOIN (VALUES (0), (7), (30)) v(k))
    SELECT c.item_id, c.t AS event_timestamp,
      CAST(sum(CASE WHEN d.day_end > c.t - INTERVAL 7 DAY THEN d.n ELSE 0 END) AS BIGINT) AS pop_7d,
      CAST(sum(CASE WHEN d.day_end > c.t - INTERVAL 30 DAY THEN d.n ELSE 0 END) AS BIGINT) AS pop_30d,
      CAST(sum(d.n) AS BIGINT) AS item_n_ratings,
      CAST(sum(d.s) / sum(d.n) AS DOUBLE) AS item_mean_rating
    FROM icand c JOIN idaily d ON d.item_id = c.item_id AND d.day_end <= c.t
    GROUP BY ALL ORDER BY event_timestamp, item_id`;
}

/** Item catalog content (genres multi-hot, release year): known when the item enters the catalog, so stamped at the epoch. */
export function itemContentSql(): string {
  return `SELECT item_id, TIMESTAMPTZ '1970-01-01 00:00:00+00' AS event_timestamp,
      CAST(list_transform(${genreList()}, g -> CASE WHEN list_contains(genres, g) THEN 1 ELSE 0 END) AS FLOAT[]) AS genres,
      CAST(year AS INTEGER) AS year
    FROM items ORDER BY item_id`;
}

/** Item tag vectors: a hashed, L2-normalized bag of all tags given up to the end of each tagging day. */
export function itemTagsSql(): string {
  return `WITH tg AS (
      SELECT item_id, date_trunc('day', event_timestamp) + INTERVAL 1 DAY AS day_end, CAST(md5_number(tag) % ${TAG_DIM} AS INTEGER) AS b FROM tags),
    tdays AS (SELECT DISTINCT item_id, day_end FROM tg),
    bags AS (
      SELECT d.item_id, d.day_end, list(tg.b) AS bs FROM tdays d JOIN tg ON tg.item_id = d.item_id AND tg.day_end <= d.day_end GROUP BY ALL),
    counts AS (
      SELECT item_id, day_end, list_transform(range(${TAG_DIM}), i -> len(list_filter(bs, x -> x = i))) AS cs FROM bags)
    SELECT item_id, day_end AS event_timestamp,
      CAST(list_transform(cs, c -> c / sqrt(list_sum(list_transform(cs, z -> z * z)))) AS FLOAT[]) AS tag_vector
    FROM counts ORDER BY event_timestamp, item_id`;
}
