/**
 * Loops getOnlineFeatures (or, with mode `raw`, raw MGET of the same keys) for one shape, alone
 * in its process, for a CPU profile of the hot path or as one run of read-runs.ts:
 *   node --import tsx --cpu-prof --cpu-prof-dir=/tmp/prof bench/online/read-profile.ts b 5000 [frec|raw] [latencies.f64]
 * Shape a: 1 user x 3 views x 20 features; shape b: 500 items x 1 view x 20 features.
 * A fifth argument writes every call's latency (ms, float64) to that file.
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { benchDefinitions, openBenchStore, seeded } from './bench-repo.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const shape = process.argv[2] ?? 'b';
const ITER = Number(process.argv[3] ?? 5000);
const mode = process.argv[4] ?? 'frec';
const prefix = `frec-bench-${randomUUID()}:`;
const rand = seeded(7);
const defs = benchDefinitions();
const featureNames = defs.itemView.spec.features.map((f) => f.name);
const row = (key: Record<string, unknown>) => {
  const r: Record<string, unknown> = { ...key, event_timestamp: Date.now() };
  for (const f of featureNames) r[f] = Math.round(rand() * 1e6) / 1e3;
  return r;
};
const { store, close } = await openBenchStore({
  type: 'redis',
  connection_string: REDIS_URL,
  cluster: false,
  key_prefix: prefix,
  connect_timeout_ms: 1000,
  command_timeout_ms: 1000,
});
const raw = new Redis(REDIS_URL);
try {
  for (const v of defs.userViews) await store.writeToOnlineStore(v.name, [row({ user_id: 1 })]);
  const items = Array.from({ length: 500 }, (_, i) => row({ item_id: `item-${i}` }));
  await store.writeToOnlineStore('item_v', items);
  const req =
    shape === 'a'
      ? {
          features: defs.userViews.flatMap((v) => featureNames.map((f) => `${v.name}:${f}`)),
          entityRows: [{ user_id: 1 }],
          fullFeatureNames: true,
        }
      : { features: featureNames.map((f) => `item_v:${f}`), entityRows: items.map((r) => ({ item_id: r.item_id })) };
  const keys =
    shape === 'a' ? defs.userViews.map((v) => `${prefix}bench:${v.name}:1`) : items.map((r) => `${prefix}bench:item_v:${r.item_id}`);
  const fn = mode === 'raw' ? () => raw.mgetBuffer(keys) : () => store.getOnlineFeatures(req);
  // Warm up past JIT tiering (TurboFan compiles frec's path later than raw MGET's smaller one):
  // a serving process lives for hours, and the first few thousand calls are not its p99.
  const warmEnd = performance.now() + 2000;
  for (let i = 0; i < 3000 || performance.now() < warmEnd; i++) await fn();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const lat = new Array<number>(ITER);
  for (let i = 0; i < ITER; i++) {
    const s = performance.now();
    await fn();
    lat[i] = performance.now() - s;
  }
  const c = process.cpuUsage(c0);
  if (process.argv[5]) writeFileSync(process.argv[5], new Float64Array(lat));
  lat.sort((x, y) => x - y);
  console.log(
    `p50 ${lat[Math.floor(ITER / 2)]!.toFixed(3)} ms, p99 ${lat[Math.floor(ITER * 0.99)]!.toFixed(3)} ms, max ${lat[ITER - 1]!.toFixed(3)} ms`,
  );
  console.log(
    `${mode} shape ${shape}: ${(((performance.now() - t0) / ITER) * 1000).toFixed(0)} us/call wall, ${((c.user + c.system) / ITER).toFixed(0)} us/call cpu`,
  );
} finally {
  raw.disconnect();
  await close();
}
