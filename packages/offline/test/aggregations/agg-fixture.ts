import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { DuckDBInstance } from '@duckdb/node-api';
import {
  aggregationFeatureView,
  buildRepoContents,
  entity,
  fileSource,
  FeatureStore,
  loadRepoConfig,
  streamSource,
  type FeatureViewSpec,
  type RepoContents,
} from '@frec/core';
import { hllAdd, hllEstimate, seededRandom } from '@frec/core/spi';

/** One generated event, in file (arrival) order. */
export interface Ev {
  user_id: number;
  ts: number;
  rating: number | null;
  item_id: string;
}

export const HOUR = 3_600_000;
export const BASE = Date.UTC(2026, 0, 5);

/**
 * Seeded events: `users` users over `days` days, arriving roughly in time order but up to 20 minutes
 * late, with same-millisecond ties, exact duplicates and null ratings.
 */
export function generateEvents(seed: number, users: number, days: number, perUserPerDay = 12): Ev[] {
  const rand = seededRandom(seed);
  const out: Ev[] = [];
  const n = users * days * perUserPerDay;
  let clock = BASE;
  const step = (days * 24 * HOUR) / n;
  for (let i = 0; i < n; i++) {
    clock += step * (0.5 + rand());
    const late = rand() < 0.2 ? Math.floor(rand() * 20 * 60_000) : 0;
    const e: Ev = {
      user_id: 1 + Math.floor(rand() * users),
      ts: Math.floor(clock - late),
      rating: rand() < 0.1 ? null : Math.round(rand() * 10) / 2,
      item_id: `i${Math.floor(rand() * 15)}`,
    };
    out.push(e);
    if (rand() < 0.05) out.push({ ...e }); // an exact duplicate: both count
    if (rand() < 0.05) out.push({ ...e, rating: Math.round(rand() * 10) / 2, item_id: `i${Math.floor(rand() * 15)}` }); // a same-ms tie
  }
  return out;
}

/** The declarations the aggregation tests use: one view over `events`, with every function. */
export function definitions(options: { stream?: { topic: string; broker?: string } } = {}): {
  contents: RepoContents;
  view: () => FeatureViewSpec;
} {
  const user = entity({ name: 'user', joinKey: 'user_id', valueType: 'int64' });
  const files = fileSource({ name: 'events', path: 'data/events/*.parquet', timestampField: 'ts' });
  const source = options.stream
    ? streamSource({
        name: 'events_stream',
        topic: options.stream.topic,
        broker: options.stream.broker ?? 'redis',
        timestampField: 'ts',
        batchSource: files,
      })
    : files;
  const v = aggregationFeatureView({
    name: 'user_agg',
    entities: [user],
    source,
    tileSize: '1h',
    // The events arrive up to 20 minutes late: within the lateness, so both paths count them.
    allowedLateness: '1h',
    derived: { liked: 'rating >= 4' },
    aggregations: [
      { function: 'count', windows: ['1h', '1d'] },
      { column: 'rating', function: 'mean', windows: ['1d', '2d'] },
      { column: 'rating', function: 'sum', windows: ['1d'] },
      { column: 'rating', function: 'min', windows: ['1d'] },
      { column: 'rating', function: 'max', windows: ['1d'] },
      { column: 'rating', function: 'last', windows: ['2d'] },
      { column: 'item_id', function: 'lastN', n: 3, windows: ['1d'] },
      { column: 'item_id', function: 'countDistinct', windows: ['1d'] },
      { column: 'item_id', function: 'countDistinct', approximate: true, windows: ['1d', '2d'] },
      // Numbers (and nulls, which are not counted) hash as numbers on both paths.
      { name: 'rating_distinct', column: 'rating', function: 'countDistinct', approximate: true, windows: ['1d'] },
      { name: 'liked_count', function: 'count', filter: 'liked', windows: ['1d'] },
    ],
  });
  const objs = options.stream ? [user, files, source, v] : [user, files, v];
  return { contents: buildRepoContents(objs.map((object) => ({ object }))), view: () => v.spec };
}

/** A value of the reference: what a feature must be at time t over the events, computed the slow, obvious way. */
export function reference(events: readonly Ev[], userId: number, t: number): Record<string, unknown> {
  const tile = HOUR;
  const inWindow = (w: number) => {
    const lo = Math.floor(t / tile) * tile - w;
    return events.map((e, idx) => ({ e, idx })).filter(({ e }) => e.user_id === userId && e.ts >= lo && e.ts <= t);
  };
  const D = 24 * HOUR;
  const ratings = (w: number) => inWindow(w).flatMap(({ e }) => (e.rating === null ? [] : [e.rating]));
  const mean = (xs: number[]) => (xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length);
  const newest = (w: number, nonNull: (e: Ev) => boolean) =>
    inWindow(w)
      .filter(({ e }) => nonNull(e))
      .sort((a, b) => b.e.ts - a.e.ts || b.idx - a.idx);
  const last = newest(2 * D, (e) => e.rating !== null)[0];
  return {
    count_1h: inWindow(HOUR).length,
    count_1d: inWindow(D).length,
    rating_mean_1d: mean(ratings(D)),
    rating_mean_2d: mean(ratings(2 * D)),
    rating_sum_1d: ratings(D).reduce((a, b) => a + b, 0),
    rating_min_1d: ratings(D).length ? Math.min(...ratings(D)) : null,
    rating_max_1d: ratings(D).length ? Math.max(...ratings(D)) : null,
    rating_last_2d: last ? last.e.rating : null,
    item_id_last_n_1d: newest(D, () => true)
      .slice(0, 3)
      .map(({ e }) => e.item_id),
    item_id_count_distinct_1d: new Set(inWindow(D).map(({ e }) => e.item_id)).size,
    item_id_count_distinct_approx_1d: sketchOf(inWindow(D).map(({ e }) => e.item_id)),
    item_id_count_distinct_approx_2d: sketchOf(inWindow(2 * D).map(({ e }) => e.item_id)),
    rating_distinct_1d: sketchOf(ratings(D)),
    liked_count_1d: inWindow(D).filter(({ e }) => e.rating !== null && e.rating >= 4).length,
  };
}

/** The approximate distinct count of values: one sketch of them all, estimated. */
function sketchOf(values: ReadonlyArray<string | number>): number {
  const sk: number[] = [];
  for (const v of values) hllAdd(sk, v);
  return hllEstimate([sk]);
}

/** Whether two feature values agree: equal, or floats within 1e-9 relative. */
export function agrees(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') return a === b || Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
  return JSON.stringify(a) === JSON.stringify(b);
}

/** A temp feature repo (SQLite online store, DuckDB offline) holding the events as Parquet files. */
export interface AggRepo {
  dir: string;
  store: FeatureStore;
  writeEvents(name: string, events: readonly Ev[]): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export async function aggRepo(contents: RepoContents, options: { online?: string; extra?: string } = {}): Promise<AggRepo> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'frec-agg-'));
  mkdirSync(path.join(dir, 'data', 'events'), { recursive: true });
  const online = options.online ?? `online_store:\n  type: sqlite\n  path: data/online-${randomUUID().slice(0, 6)}.db\n`;
  writeFileSync(
    path.join(dir, 'feature_store.yaml'),
    `project: aggtest\nplugins: ['@frec/online', '@frec/offline', '@frec/streaming/redis-streams', '@frec/streaming/nats-jetstream']\nregistry:\n  path: data/registry.json\n  cache_ttl_seconds: 0\n${online}offline_store:\n  type: duckdb\n${options.extra ?? ''}`,
  );
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  const store = await FeatureStore.open({ config: loadRepoConfig(dir), definitions: contents });
  return {
    dir,
    store,
    async writeEvents(name, events) {
      const json = path.join(dir, `${name}.json`);
      writeFileSync(json, events.map((e) => JSON.stringify(e)).join('\n'));
      await conn.run(
        `COPY (SELECT user_id::BIGINT AS user_id, make_timestamp(ts::BIGINT * 1000) AS ts, rating::DOUBLE AS rating, item_id::VARCHAR AS item_id
          FROM read_json('${json}', columns = {user_id: 'BIGINT', ts: 'BIGINT', rating: 'DOUBLE', item_id: 'VARCHAR'}, format = 'newline_delimited'))
          TO '${dir}/data/events/${name}.parquet' (FORMAT parquet)`,
      );
      rmSync(json);
    },
    async [Symbol.asyncDispose]() {
      await store.close();
      conn.closeSync();
      db.closeSync();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Waits for a condition by polls, not by machine speed: generous for a loaded machine. */
export async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 6000 && !cond(); i++) await new Promise((r) => setTimeout(r, 20));
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
}
