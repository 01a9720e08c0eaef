/**
 * MovieLens-sized training set: 100k entity rows given as JS objects (as StreamRec passes them),
 * 610 users and 9,700 items, joined point-in-time to a user view (with a 20-float genre vector)
 * and an item view, read back with toRows(). Baseline: the same ASOF JOIN written by hand over the
 * same Parquet and entity table, rows read with DuckDB's own row-object reader, in the same process.
 *
 *   npx tsx bench/offline/training-set.ts [--repeat 3]
 */
import os from 'node:os';
import path from 'node:path';
import { mkdirSync, rmSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import { entity, featureView, field, fileSource, Float32, Float64, Int64, Array as ArrayOf } from '@frec/core';
import { emptyRegistry, resolveFeatures } from '@frec/core/spi';
import { DuckDBOfflineStore } from '@frec/offline';

const repeat = Number(process.argv[process.argv.indexOf('--repeat') + 1] ?? 3) || 3;
const dir = path.join(os.tmpdir(), 'frec-bench-training-set');
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
const SEED = 610;
const USERS = 610;
const ITEMS = 9_700;
const RATINGS = 100_000;
const SPAN = 180 * 86400;

// Seeded data written by DuckDB SQL: per-user daily snapshots and per-item weekly snapshots over 180 days.
{
  const db = await DuckDBInstance.create(':memory:', { threads: '2' });
  const c = await db.connect();
  await c.run(`COPY (SELECT u AS user_id, TIMESTAMP '2024-01-01' + to_days(d) AS ts, (hash(u, d, ${SEED}) % 500)::BIGINT AS n_ratings,
      1 + (hash(u, d, ${SEED + 1}) % 400) / 100.0 AS mean_rating,
      list_transform(range(20), g -> ((hash(u, d, g, ${SEED + 2}) % 100) / 100.0)::FLOAT) AS genre_affinity
    FROM range(${USERS}) a(u), range(180) b(d)) TO '${dir}/user_stats.parquet' (FORMAT parquet)`);
  await c.run(`COPY (SELECT i AS item_id, TIMESTAMP '2024-01-01' + to_days(w * 7) AS ts, (hash(i, w, ${SEED + 3}) % 1000)::BIGINT AS pop_7d,
      1 + (hash(i, w, ${SEED + 4}) % 400) / 100.0 AS item_mean_rating
    FROM range(${ITEMS}) a(i), range(26) b(w)) TO '${dir}/item_stats.parquet' (FORMAT parquet)`);
  c.closeSync();
  db.closeSync();
}
const ratings = Array.from({ length: RATINGS }, (_, i) => {
  // A small LCG keeps the entity rows seeded without another dependency.
  const h = (k: number) => (((i + 1) * 2654435761 + k * 40503 + SEED) >>> 0) % 1_000_003;
  return {
    user_id: h(1) % USERS,
    item_id: h(2) % ITEMS,
    event_timestamp: new Date(Date.UTC(2024, 0, 1) + (h(3) / 1_000_003) * SPAN * 1000),
    row_id: i,
  };
});

const user = entity({ name: 'user', joinKey: 'user_id', valueType: Int64 });
const item = entity({ name: 'item', joinKey: 'item_id', valueType: Int64 });
const data = emptyRegistry('bench');
const stored = <T>(spec: T) => ({ spec, createdAt: '', updatedAt: '', version: 1 });
data.featureViews.user_stats = stored(
  featureView({
    name: 'user_stats',
    entities: [user],
    ttl: '30d',
    source: fileSource({ name: 'us', path: 'user_stats.parquet', timestampField: 'ts' }),
    schema: [field('n_ratings', Int64), field('mean_rating', Float64), field('genre_affinity', ArrayOf(Float32))],
  }).spec,
);
data.featureViews.item_stats = stored(
  featureView({
    name: 'item_stats',
    entities: [item],
    ttl: '30d',
    source: fileSource({ name: 'is', path: 'item_stats.parquet', timestampField: 'ts' }),
    schema: [field('pop_7d', Int64), field('item_mean_rating', Float64)],
  }).spec,
);
const resolved = resolveFeatures(data, {
  features: [
    'user_stats:n_ratings',
    'user_stats:mean_rating',
    'user_stats:genre_affinity',
    'item_stats:pop_7d',
    'item_stats:item_mean_rating',
  ],
});

async function frec(): Promise<number> {
  const store = await DuckDBOfflineStore.create({ repoPath: dir, tempDirectory: path.join(dir, 'spill'), threads: 2 });
  const job = await store.getHistoricalFeatures({
    entities: ratings,
    resolved,
    fullFeatureNames: false,
    timestampColumn: 'event_timestamp',
    transforms: new Map(),
    odfvSpecs: new Map(),
  });
  const rows = await job.toRows();
  await store.close();
  return rows.length;
}

async function hand(): Promise<number> {
  const db = await DuckDBInstance.create(':memory:', { threads: '2' });
  const c = await db.connect();
  await c.run(`CREATE TABLE e (user_id BIGINT, item_id BIGINT, event_timestamp TIMESTAMP, row_id BIGINT)`);
  const app = await c.createAppender('e');
  const { DuckDBTimestampValue } = await import('@duckdb/node-api');
  for (const r of ratings) {
    app.appendBigInt(BigInt(r.user_id));
    app.appendBigInt(BigInt(r.item_id));
    app.appendTimestamp(new DuckDBTimestampValue(BigInt(r.event_timestamp.getTime()) * 1000n));
    app.appendBigInt(BigInt(r.row_id));
    app.endRow();
  }
  app.closeSync();
  const reader = await c.runAndReadAll(`SELECT e.*, 
      CASE WHEN u.ts >= e.event_timestamp - INTERVAL 30 DAY THEN u.n_ratings END AS n_ratings,
      CASE WHEN u.ts >= e.event_timestamp - INTERVAL 30 DAY THEN u.mean_rating END AS mean_rating,
      CASE WHEN u.ts >= e.event_timestamp - INTERVAL 30 DAY THEN u.genre_affinity END AS genre_affinity,
      CASE WHEN i.ts >= e.event_timestamp - INTERVAL 30 DAY THEN i.pop_7d END AS pop_7d,
      CASE WHEN i.ts >= e.event_timestamp - INTERVAL 30 DAY THEN i.item_mean_rating END AS item_mean_rating
    FROM e ASOF LEFT JOIN '${dir}/user_stats.parquet' u ON e.user_id = u.user_id AND e.event_timestamp >= u.ts
           ASOF LEFT JOIN '${dir}/item_stats.parquet' i ON e.item_id = i.item_id AND e.event_timestamp >= i.ts
    ORDER BY e.row_id`);
  const rows = reader.getRowObjectsJS();
  c.closeSync();
  db.closeSync();
  return rows.length;
}

console.log(`machine: ${os.cpus().length} cores, node ${process.version}; ${new Date().toISOString()}`);
console.log(
  `${RATINGS.toLocaleString()} entity rows (objects) x 2 views (${USERS} users x 180 days, ${ITEMS} items x 26 weeks), rows read with toRows()`,
);
const times: Record<string, number[]> = { frec: [], hand: [] };
for (let r = 0; r < repeat; r++) {
  for (const [name, fn] of r % 2 === 0
    ? ([
        ['frec', frec],
        ['hand', hand],
      ] as const)
    : ([
        ['hand', hand],
        ['frec', frec],
      ] as const)) {
    const t0 = performance.now();
    const n = await fn();
    const ms = performance.now() - t0;
    times[name]!.push(ms);
    console.log(`  ${name.padEnd(5)} ${(ms / 1000).toFixed(2)} s (${n} rows)`);
  }
}
const best = (k: string) => Math.min(...times[k]!);
console.log(
  `best: frec ${(best('frec') / 1000).toFixed(2)} s, hand-written ${(best('hand') / 1000).toFixed(2)} s, ratio ${(best('frec') / best('hand')).toFixed(2)}x; peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MB (whole process)`,
);
rmSync(dir, { recursive: true, force: true });
