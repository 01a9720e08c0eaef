import { performance } from 'node:perf_hooks';
import path from 'node:path';
import { FEATURE_REPO, buildStreamRec } from '../../examples/streamrec/src/serve/streamrec-recommender.js';
import { onlineUserFeatures } from '../../examples/streamrec/src/serve/online-user-features.js';
import { randomUUID } from 'node:crypto';

/**
 * In-process service time of StreamRec's request path, per stage, with no HTTP or load generator
 * (`npx tsx bench/recommend/profile.ts [n]`; add `node --cpu-prof --import tsx` to profile it).
 * Sequential requests give the event-loop cost of one request; a batch of 32 concurrent requests
 * shows how the stages interleave. STREAMREC_FEATURES=redis reads user features from Redis (REDIS_URL).
 */
const n = Number(process.argv[2] ?? 1000);
const repo = process.env.STREAMREC_REPO ?? FEATURE_REPO;
const useRedis = process.env.STREAMREC_FEATURES === 'redis';
const online = useRedis
  ? await onlineUserFeatures({
      type: 'redis',
      connection_string: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      key_prefix: `frec-bench-${randomUUID()}:`,
    } as never)
  : undefined;
const sr = await buildStreamRec({
  features: online ? online.source : { kind: 'memory' },
  repoPath: repo,
  modelRegistry: path.join(repo, 'data/models'),
  indexDir: path.join(repo, 'data/ann'),
  shadowSampleRate: 0.1,
  log: (l) => console.error(l),
});
if (online) await online.seed(sr.snapshot);
const rec = sr.recommender;
// BENCH_TIME_BATCH=1: also time the batch builder alone (the part of 'ranking' that is ours, not ONNX's).
const batchTimes: number[] = [];
if (process.env.BENCH_TIME_BATCH) {
  const opts = (rec as unknown as { options: { buildBatch: (...a: unknown[]) => unknown } }).options;
  const inner = opts.buildBatch;
  opts.buildBatch = (...a: unknown[]) => {
    const t = performance.now();
    const r = inner(...a);
    batchTimes.push(performance.now() - t);
    return r;
  };
}

const q = (a: number[], x: number): number => [...a].sort((p, r) => p - r)[Math.min(a.length - 1, Math.floor(x * a.length))] ?? NaN;
async function sequential(count: number): Promise<{ total: number[]; stages: Map<string, number[]> }> {
  const total: number[] = [];
  const stages = new Map<string, number[]>();
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    const res = await rec.recommend({ userId: 1 + ((i * 7919) % 610), count: 20, context: { device: 'tv' } });
    total.push(performance.now() - t);
    for (const [k, v] of Object.entries(res.timingsMs)) {
      let a = stages.get(k);
      if (!a) stages.set(k, (a = []));
      a.push(v);
    }
  }
  return { total, stages };
}

try {
  await sequential(200);
  const { total, stages } = await sequential(n);
  const mean = total.reduce((a, b) => a + b, 0) / total.length;
  console.log(
    `sequential, ${n} requests, features ${useRedis ? 'redis' : 'memory'}: mean ${mean.toFixed(3)} ms  p50 ${q(total, 0.5).toFixed(3)}  p95 ${q(total, 0.95).toFixed(3)}  p99 ${q(total, 0.99).toFixed(3)}  => ~${Math.floor(1000 / mean)} req/s per core`,
  );
  for (const [k, v] of stages) {
    const m = v.reduce((a, b) => a + b, 0) / v.length;
    console.log(
      `  ${k.padEnd(26)} mean ${m.toFixed(3).padStart(7)}  p50 ${q(v, 0.5).toFixed(2).padStart(6)}  p95 ${q(v, 0.95).toFixed(2).padStart(6)}`,
    );
  }
  if (batchTimes.length > 0)
    console.log(
      `  buildBatch alone          mean ${(batchTimes.reduce((a, b) => a + b, 0) / batchTimes.length).toFixed(3).padStart(7)}  p50 ${q(batchTimes, 0.5).toFixed(2).padStart(6)}`,
    );
  // Concurrent bursts: 32 requests in flight at once, as under load.
  const t = performance.now();
  const bursts = Math.max(1, Math.floor(n / 32));
  for (let b = 0; b < bursts; b++) {
    await Promise.all(Array.from({ length: 32 }, (_, j) => rec.recommend({ userId: 1 + (((b * 32 + j) * 7919) % 610), count: 20 })));
  }
  const el = performance.now() - t;
  console.log(`bursts of 32 concurrent: ${((bursts * 32 * 1000) / el).toFixed(0)} req/s (one event loop)`);
} finally {
  if (online) {
    await online.store.teardown().catch(() => undefined);
    await online.close();
  }
  await sr.close();
}
