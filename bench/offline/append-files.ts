/**
 * Cost of the push-to-offline layout: N appended batches (one Parquet file each, date-partitioned)
 * against the same rows in one file, read by one getHistoricalFeatures call; then after compact().
 * Also times appendRows.
 *   npx tsx bench/offline/append-files.ts [--batches 500] [--rows 20]
 */
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { entity, featureView, field, fileSource, Float64, Int64, pushSource } from '@frec/core';
import { emptyRegistry, resolveFeatures } from '@frec/core/spi';
import { DuckDBOfflineStore } from '@frec/offline';

const arg = (n: string, d: number) => Number(process.argv[process.argv.indexOf(`--${n}`) + 1]) || d;
const batches = arg('batches', 500);
const perBatch = arg('rows', 20);
const dir = mkdtempSync(path.join(os.tmpdir(), 'frec-bench-append-'));
const user = entity({ name: 'user', joinKey: 'user_id', valueType: Int64 });
const pushed = featureView({
  name: 'pushed',
  entities: [user],
  source: pushSource({ name: 'p', batchSource: fileSource({ name: 'pb', path: 'pushed/**/*.parquet', timestampField: 'ts' }) }),
  schema: [field('x', Float64)],
}).spec;
const single = featureView({
  name: 'single',
  entities: [user],
  source: fileSource({ name: 'sb', path: 'single.parquet', timestampField: 'ts' }),
  schema: [field('x', Float64)],
}).spec;
const store = await DuckDBOfflineStore.create({ repoPath: dir, tempDirectory: path.join(dir, 'spill'), threads: 2 });
const src = pushed.source.type === 'push' ? pushed.source.batchSource : (undefined as never);
const all: Array<Record<string, unknown>> = [];
const t = performance.now();
for (let b = 0; b < batches; b++) {
  const rows = Array.from({ length: perBatch }, (_, i) => ({
    user_id: (b * 7 + i) % 100,
    ts: new Date(Date.UTC(2024, 0, 1 + (b % 5), 0, 0, b)),
    x: b + i / 100,
  }));
  all.push(...rows);
  await store.appendRows(src, pushed, rows);
}
const appendMs = (performance.now() - t) / batches;
const conn = await store.connect();
await conn.run(`COPY (SELECT * FROM read_parquet('${dir}/pushed/**/*.parquet')) TO '${dir}/single.parquet' (FORMAT parquet)`);
conn.closeSync();
const data = emptyRegistry('b');
data.featureViews.pushed = { spec: pushed, createdAt: '', updatedAt: '', version: 1 };
data.featureViews.single = { spec: single, createdAt: '', updatedAt: '', version: 1 };
const entities = Array.from({ length: 1000 }, (_, i) => ({ user_id: i % 100, event_timestamp: new Date(Date.UTC(2024, 0, 6)) }));
async function read(view: string): Promise<number> {
  const t0 = performance.now();
  const job = await store.getHistoricalFeatures({
    entities,
    resolved: resolveFeatures(data, { features: [`${view}:x`] }),
    fullFeatureNames: false,
    timestampColumn: 'event_timestamp',
    transforms: new Map(),
    odfvSpecs: new Map(),
  });
  await job.toRows();
  await job.close();
  return performance.now() - t0;
}
const best = async (v: string) => Math.min(await read(v), await read(v), await read(v));
const many = await best('pushed');
const one = await best('single');
const c0 = performance.now();
const compacted = await store.compact(src);
const compactMs = performance.now() - c0;
const afterCompact = await best('pushed');
console.log(`node ${process.version}, ${os.cpus().length} cores, ${new Date().toISOString()}`);
console.log(`appendRows: ${appendMs.toFixed(1)} ms per batch of ${perBatch} rows`);
console.log(
  `read 1,000 entity rows against ${batches} appended files: ${many.toFixed(0)} ms; same rows in 1 file: ${one.toFixed(0)} ms; ratio ${(many / one).toFixed(1)}x`,
);
console.log(
  `compact: ${compacted.filesBefore} files -> ${compacted.filesAfter} in ${compactMs.toFixed(0)} ms; read after compaction: ${afterCompact.toFixed(0)} ms (${(afterCompact / one).toFixed(1)}x the single file)`,
);
await store.close();
rmSync(dir, { recursive: true, force: true });
