/**
 * Materialization into Redis: N rows x 20 float features from Parquet (DuckDB) to the Redis
 * online store, against the raw floor measured in the same run: the same latest-row query
 * streamed from DuckDB in one pass (fetchChunk), each row copied into a value of the stored
 * size and written with plain pipelined SET (no condition), from one Node process. Prints wall
 * speed, peak RSS and Redis server CPU (INFO CPU, used_cpu_sys + used_cpu_user delta) of both
 * as ratios. Also: pull-only and write-only rates (where the time goes) and 1 vs 2 views in parallel.
 *
 *   npx tsx bench/materialize/materialize-redis.ts [rows=5000000] [parallelRowsPerView=500000] [--frec-only]
 *
 * --frec-only runs the frec materialization alone (the peak-RSS-by-row-count table).
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { Redis } from 'ioredis';
import {
  buildRepoContents,
  entity,
  featureView,
  FeatureStore,
  field,
  fileSource,
  loadRepoConfig,
  type MaterializeResult,
} from '@frec/core';
import { batchToColumns } from '@frec/core/spi';
import { deleteKeysWithPrefix } from '@frec/online/testing';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const FREC_ONLY = process.argv.includes('--frec-only');
const ROWS = Number(args[0] ?? 5_000_000);
const PAR_ROWS = Number(args[1] ?? Math.min(500_000, ROWS / 2));
const URL = process.env.FREC_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `frec-bench-${randomUUID().slice(0, 8)}:`;
const dir = mkdtempSync(path.join(tmpdir(), 'frec-bench-mat-'));
const redis = new Redis(URL);

let peakRss = 0;
// The JS heap's share of the peak: RSS minus it is mostly DuckDB (and Buffers outside the heap).
let peakHeap = 0;
// Where the peak goes: heapUsed (live JS plus garbage not yet collected) and Buffers outside the heap.
const peaks = { heapUsed: 0, external: 0, arrayBuffers: 0 };
const sampler = setInterval(() => {
  const m = process.memoryUsage();
  peakRss = Math.max(peakRss, m.rss);
  peakHeap = Math.max(peakHeap, m.heapTotal);
  peaks.heapUsed = Math.max(peaks.heapUsed, m.heapUsed);
  peaks.external = Math.max(peaks.external, m.external);
  peaks.arrayBuffers = Math.max(peaks.arrayBuffers, m.arrayBuffers);
}, 100);
const resetPeaks = (): void => {
  const m = process.memoryUsage();
  peakRss = m.rss;
  peakHeap = m.heapTotal;
  Object.assign(peaks, { heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers });
};
const peakLine = (): string =>
  `heapUsed ${mb(peaks.heapUsed)} MB, external ${mb(peaks.external)} MB, arrayBuffers ${mb(peaks.arrayBuffers)} MB (peaks)`;
const mb = (b: number) => (b / 1048576).toFixed(0);

function batchOptions(): { batchSize?: number; writesInFlight?: number } {
  const [b, w] = (process.env.FREC_BENCH_BATCH ?? '').split(',').map(Number);
  return { ...(b ? { batchSize: b } : {}), ...(w ? { writesInFlight: w } : {}) };
}

/** CPU seconds of this process (Node + DuckDB threads) and of the Redis server, for comparisons on a loaded machine. */
async function cpuNow(): Promise<{ proc: number; redis: number }> {
  const u = process.cpuUsage();
  const info = await redis.info('cpu');
  const num = (k: string) => Number(new RegExp(`${k}:([0-9.]+)`).exec(info)?.[1] ?? 0);
  return { proc: (u.user + u.system) / 1e6, redis: num('used_cpu_user') + num('used_cpu_sys') };
}
async function cpuSince(a: { proc: number; redis: number }): Promise<{ proc: number; redis: number; total: number }> {
  const b = await cpuNow();
  return { proc: b.proc - a.proc, redis: b.redis - a.redis, total: b.proc - a.proc + b.redis - a.redis };
}
// An interrupted run still removes its keys and files.
for (const sig of ['SIGINT', 'SIGTERM'] as const)
  process.once(
    sig,
    () =>
      void cleanup().finally(() => {
        rmSync(dir, { recursive: true, force: true });
        process.exit(130);
      }),
  );

async function cleanup(): Promise<void> {
  await deleteKeysWithPrefix(redis, prefix);
}

try {
  // Data: deterministic values (a hash of row and column), one row per entity.
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  const feats = Array.from({ length: 20 }, (_, j) => `(hash(u * 20 + ${j}) % 1000000) / 1000.0 AS f${j}`).join(', ');
  const now = Date.now();
  const gen = async (name: string, first: number, n: number): Promise<void> => {
    mkdirSync(path.join(dir, 'data', name), { recursive: true });
    await conn.run(
      `COPY (SELECT u AS user_id, ${feats}, make_timestamp((${now - 3_600_000} + u % 3600000) * 1000) AS event_timestamp FROM range(${first}, ${first + n}) t(u)) TO '${dir}/data/${name}/part.parquet' (FORMAT parquet, ROW_GROUP_SIZE 100000)`,
    );
  };
  let t = performance.now();
  await gen('big', 0, ROWS);
  if (!FREC_ONLY) {
    await gen('pa', 100_000_000, PAR_ROWS);
    await gen('pb', 200_000_000, PAR_ROWS);
  }
  conn.closeSync();
  db.closeSync();
  console.log(`data: ${ROWS} + 2 x ${PAR_ROWS} rows x 20 float64 written in ${((performance.now() - t) / 1000).toFixed(1)}s`);

  writeFileSync(
    path.join(dir, 'feature_store.yaml'),
    `project: bench\nplugins: ['@frec/online', '@frec/offline', '@frec/streaming/redis-streams']\nregistry: data/registry.json\nonline_store:\n  type: redis\n  connection_string: ${URL}\n  key_prefix: "${prefix}"\n  command_timeout_ms: 30000\noffline_store:\n  type: duckdb\n`,
  );
  const user = entity({ name: 'user', joinKey: 'user_id', valueType: 'int64' });
  const schema = Array.from({ length: 20 }, (_, j) => field(`f${j}`, 'float64'));
  const views = (FREC_ONLY ? ['big'] : ['big', 'pa', 'pb']).map((n) =>
    featureView({
      name: `v_${n}`,
      entities: [user],
      schema,
      source: fileSource({ name: `s_${n}`, path: `data/${n}/*.parquet`, timestampField: 'event_timestamp' }),
    }),
  );
  const contents = buildRepoContents([user, ...views].map((object) => ({ object })));
  const store = await FeatureStore.open({ config: loadRepoConfig(dir), definitions: contents });
  await store.apply(contents);
  const start = new Date(0);
  const end = new Date(now + 3_600_000);

  // 1. frec materialize, end to end.
  resetPeaks();
  const rssBefore = peakRss;
  const cpuMat0 = await cpuNow();
  let lastLine = 0;
  const res: MaterializeResult = await store.materialize(start, end, {
    views: ['v_big'],
    // FREC_BENCH_BATCH=rows,inFlight: the pipeline's batch size and writes in flight, for A/B runs.
    ...batchOptions(),
    onProgress: (p) => {
      if (p.phase !== 'batch' || Date.now() - lastLine < 10_000) return;
      lastLine = Date.now();
      console.log(`  materialize rows=${p.rows} rows_per_s=${Math.round(p.rowsPerSecond)}`);
    },
  });
  const mat = res.views[0]!;
  const matPeak = peakRss;
  const matPeaks = peakLine();
  const matHeap = peakHeap;
  const matCpu = await cpuSince(cpuMat0);
  console.log(
    `frec materialize: ${mat.rows} rows in ${mat.seconds.toFixed(1)}s = ${Math.round(mat.rowsPerSecond)} rows/s (peak RSS ${mb(matPeak)} MB, of which JS heap ${mb(matHeap)} MB; ${mb(rssBefore)} MB before; ${matPeaks})`,
  );

  if (FREC_ONLY) {
    await cleanup();
    await store.close();
    console.log('\nRESULT');
    console.log(
      `| ${ROWS} rows | ${Math.round(mat.rowsPerSecond)} rows/s | peak RSS ${mb(matPeak)} MB (JS heap ${mb(matHeap)} MB; ${mb(rssBefore)} MB before) | Redis CPU ${matCpu.redis.toFixed(1)} s |`,
    );
    // process.exit skips the finally below: the Parquet data (2.2 GB at 20M rows) must not stay in the temp dir.
    rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  }

  // 2. The raw floor: the same latest rows streamed from DuckDB in one pass, each copied into a
  // value of the stored size, plain pipelined SET (2,000 per pipeline, 2 in flight), keys as long as frec's.
  const sampleKeys = (await redis.scan('0', 'MATCH', `${prefix}bench:v_big:*`, 'COUNT', 1000))[1].slice(0, 50);
  const lens = await Promise.all(sampleKeys.map((k) => redis.strlen(k)));
  const valueLen = Math.round(lens.reduce((a, b) => a + b, 0) / Math.max(1, lens.length));
  const keyLen = Math.round(sampleKeys.reduce((a, k) => a + k.length, 0) / Math.max(1, sampleKeys.length));
  await cleanup();
  const keyBase = `${prefix}raw:`.padEnd(keyLen - 8, 'x');
  const BATCH = 2000;
  const rawDb = await DuckDBInstance.create(':memory:', { temp_directory: path.join(dir, 'spill') });
  const rawConn = await rawDb.connect();
  const fcols = Array.from({ length: 20 }, (_, j) => `f${j}`).join(', ');
  peakRss = process.memoryUsage().rss;
  const cpuRaw0 = await cpuNow();
  t = performance.now();
  const result = await rawConn.stream(
    `SELECT * FROM (SELECT user_id, ${fcols}, event_timestamp FROM read_parquet('${dir}/data/big/*.parquet')) QUALIFY row_number() OVER (PARTITION BY user_id ORDER BY event_timestamp DESC) = 1`,
  );
  const inflight: Array<Promise<unknown>> = [];
  let pipe = redis.pipeline();
  let inPipe = 0;
  let rawRows = 0;
  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    const cols = chunk.getColumns() as unknown[][];
    for (let r = 0; r < chunk.rowCount; r++) {
      const v = Buffer.allocUnsafe(valueLen);
      for (let j = 0; j < 20 && 8 * j + 8 <= valueLen; j++) v.writeDoubleLE(cols[1 + j]![r] as number, 8 * j);
      pipe.set(keyBase + String(rawRows++).padStart(8, '0'), v);
      if (++inPipe >= BATCH) {
        inflight.push(pipe.exec());
        pipe = redis.pipeline();
        inPipe = 0;
        if (inflight.length >= 2) await inflight.shift();
      }
    }
  }
  if (inPipe > 0) inflight.push(pipe.exec());
  await Promise.all(inflight);
  const rawSec = (performance.now() - t) / 1000;
  const rawRate = rawRows / rawSec;
  const rawCpu = await cpuSince(cpuRaw0);
  const rawPeak = peakRss;
  rawConn.closeSync();
  rawDb.closeSync();
  console.log(
    `raw DuckDB + pipelined SET: ${rawRows} keys (${keyLen} B key, ${valueLen} B value) in ${rawSec.toFixed(1)}s = ${Math.round(rawRate)} rows/s (peak RSS ${mb(rawPeak)} MB)`,
  );
  console.log(
    `cpu s (process + redis): frec ${matCpu.proc.toFixed(1)} + ${matCpu.redis.toFixed(1)}; raw ${rawCpu.proc.toFixed(1)} + ${rawCpu.redis.toFixed(1)}`,
  );
  await cleanup();

  // 3. Where the time goes: pull only (DuckDB -> batches) and write only (pre-pulled batches -> Redis), on the parallel data.
  const offline = await store.offlineStore();
  const online = await store.onlineStore();
  const va = await store.getFeatureView('v_pa');
  t = performance.now();
  const pulled = [];
  for await (const b of offline.pullLatest(va, start, end, { batchSize: 20_000 })) pulled.push(batchToColumns(va, b));
  const pullRate = PAR_ROWS / ((performance.now() - t) / 1000);
  t = performance.now();
  for (const cols of pulled) await online.writeColumns!('bench', va, cols);
  const writeRate = PAR_ROWS / ((performance.now() - t) / 1000);
  pulled.length = 0;
  await cleanup();
  console.log(
    `components at ${PAR_ROWS} rows: pullLatest+convert ${Math.round(pullRate)} rows/s; online.writeColumns (SET NX, then the conditional script) ${Math.round(writeRate)} rows/s`,
  );

  // 4. Two views, one at a time vs both at once.
  const par: Record<string, number> = {};
  for (const parallelism of [1, 2]) {
    await cleanup();
    const r = await store.materialize(start, end, { views: ['v_pa', 'v_pb'], parallelism });
    par[parallelism] = r.rows / r.seconds;
    console.log(
      `2 views x ${PAR_ROWS} rows, parallelism ${parallelism}: ${r.seconds.toFixed(1)}s = ${Math.round(par[parallelism]!)} rows/s`,
    );
  }
  await cleanup();
  await store.close();

  console.log('\nRESULT');
  console.log(`| machine | 2 cores, node ${process.version}, ${new Date().toISOString().slice(0, 10)} |`);
  console.log(`| frec materialize ${ROWS} x 20 float64 -> Redis | ${Math.round(mat.rowsPerSecond)} rows/s |`);
  console.log(`| raw DuckDB + pipelined SET, same key/value bytes | ${Math.round(rawRate)} rows/s |`);
  console.log(`| ratio frec / raw (wall) | ${(mat.rowsPerSecond / rawRate).toFixed(2)}x |`);
  console.log(
    `| CPU s, frec (process incl. DuckDB + Redis server) | ${matCpu.proc.toFixed(1)} + ${matCpu.redis.toFixed(1)} = ${matCpu.total.toFixed(1)} s -> ${Math.round(ROWS / matCpu.total)} rows per CPU s |`,
  );
  console.log(
    `| CPU s, raw SET (process + Redis server) | ${rawCpu.proc.toFixed(1)} + ${rawCpu.redis.toFixed(1)} = ${rawCpu.total.toFixed(1)} s -> ${Math.round(ROWS / rawCpu.total)} rows per CPU s |`,
  );
  console.log(`| ratio frec / raw (per CPU s) | ${(rawCpu.total / matCpu.total).toFixed(2)}x |`);
  console.log(
    `| Redis server CPU s frec / raw | ${matCpu.redis.toFixed(1)} / ${rawCpu.redis.toFixed(1)} = ${(matCpu.redis / rawCpu.redis).toFixed(2)}x |`,
  );
  console.log(`| peak RSS frec / raw | ${mb(matPeak)} / ${mb(rawPeak)} MB |`);
  console.log(`| pullLatest+convert alone | ${Math.round(pullRate)} rows/s |`);
  console.log(`| online.write alone | ${Math.round(writeRate)} rows/s |`);
  console.log(
    `| 2 views parallelism 1 -> 2 | ${Math.round(par[1]!)} -> ${Math.round(par[2]!)} rows/s (${(par[2]! / par[1]!).toFixed(2)}x) |`,
  );
} finally {
  clearInterval(sampler);
  await cleanup().catch(() => undefined);
  redis.disconnect();
  rmSync(dir, { recursive: true, force: true });
}
