/**
 * getOnlineFeatures latency against raw ioredis, both shapes of issue 4:
 *   (a) 1 user x 3 views x 20 features, (b) 500 items x 1 view x 20 features.
 * Baselines, measured in the same run on the same Redis: (1) raw MGET of the same keys (same
 * bytes), (2) Feast's layout, one hash per entity with a field per feature, read with pipelined HMGET.
 * Also SQLite (the embedded default) for shape (b).
 * Run: npx tsx bench/online/read-latency.ts [iterations]
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { benchDefinitions, openBenchStore, pct, seeded, timeInterleaved, type Timing } from './bench-repo.js';
import { deleteKeysWithPrefix } from '@frec/online/testing';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const ITER = Number(process.argv[2] ?? 2000);
const ITEMS = 500;
const prefix = `frec-bench-${randomUUID()}:`;
const rand = seeded(42);
const defs = benchDefinitions();
const featureNames = defs.itemView.spec.features.map((f) => f.name);

function row(key: Record<string, unknown>): Record<string, unknown> {
  const r: Record<string, unknown> = { ...key, event_timestamp: Date.now() };
  for (const f of featureNames) r[f] = Math.round(rand() * 1e6) / 1e3;
  return r;
}

const { store, close } = await openBenchStore({
  type: 'redis',
  connection_string: REDIS_URL,
  cluster: false,
  key_prefix: prefix,
  connect_timeout_ms: 1000,
  command_timeout_ms: 1000,
});
const raw = new Redis(REDIS_URL);
const hashPrefix = `${prefix}feast:`;
try {
  // Data: user 1 in three views; 500 items. The hash layout gets the same values.
  const userRows = defs.userViews.map(() => [row({ user_id: 1 })]);
  for (const [i, v] of defs.userViews.entries()) await store.writeToOnlineStore(v.name, userRows[i]!);
  const itemRows = Array.from({ length: ITEMS }, (_, i) => row({ item_id: `item-${i}` }));
  await store.writeToOnlineStore('item_v', itemRows);
  const hashWrite = raw.pipeline();
  const userHash: Record<string, string> = {};
  defs.userViews.forEach((v, i) => featureNames.forEach((f) => (userHash[`${v.name}:${f}`] = String(userRows[i]![0]![f]))));
  hashWrite.hset(`${hashPrefix}user:1`, userHash);
  for (const r of itemRows)
    hashWrite.hset(`${hashPrefix}item:${r.item_id}`, Object.fromEntries(featureNames.map((f) => [`item_v:${f}`, String(r[f])])));
  await hashWrite.exec();

  const userKeys = defs.userViews.map((v) => `${prefix}bench:${v.name}:1`);
  const itemKeys = itemRows.map((r) => `${prefix}bench:item_v:${r.item_id}`);
  const userFields = defs.userViews.flatMap((v) => featureNames.map((f) => `${v.name}:${f}`));
  const itemFields = featureNames.map((f) => `item_v:${f}`);
  const check = await raw.mgetBuffer(itemKeys);
  if (check.some((b) => !b)) throw new Error('bench keys not found: key layout changed?');

  const reqA = {
    features: defs.userViews.flatMap((v) => featureNames.map((f) => `${v.name}:${f}`)),
    entityRows: [{ user_id: 1 }],
    fullFeatureNames: true,
  };
  const reqB = { features: featureNames.map((f) => `item_v:${f}`), entityRows: itemRows.map((r) => ({ item_id: r.item_id })) };
  const resB = await store.getOnlineFeatures(reqB);
  if (resB.values[1]![7] !== itemRows[7]!.f0 && Math.abs((resB.values[1]![7] as number) - (itemRows[7]!.f0 as number)) > 1e-3)
    throw new Error('wrong values');

  const hmgetAll = async (keys: string[], fields: string[]) => {
    const p = raw.pipeline();
    for (const k of keys) p.hmget(k, ...fields);
    const res = (await p.exec()) ?? [];
    // Feast decodes every value it reads; parsing the strings stands in for ValueProto decoding.
    let s = 0;
    for (const [, vals] of res) for (const v of vals as string[]) s += Number(v);
    return s;
  };
  const userHashKeys = [`${hashPrefix}user:1`];
  const itemHashKeys = itemRows.map((r) => `${hashPrefix}item:${r.item_id}`);

  const report = (shape: string, t: Record<string, Timing>, base: string) => {
    const b = t[base]!;
    for (const [name, v] of Object.entries(t)) {
      const p50 = pct(v.lat, 50);
      const p99 = pct(v.lat, 99);
      console.log(
        `${shape.padEnd(28)} ${name.padEnd(24)} p50 ${p50.toFixed(3).padStart(7)} ms  p99 ${p99.toFixed(3).padStart(7)} ms  cpu ${v.cpuUs.toFixed(0).padStart(5)} us/call | ` +
          `x ${base}: p50 ${(p50 / pct(b.lat, 50)).toFixed(2)}  p99 ${(p99 / pct(b.lat, 99)).toFixed(2)}  cpu ${(v.cpuUs / b.cpuUs).toFixed(2)}`,
      );
    }
  };

  console.log(`node ${process.version}, Redis ${REDIS_URL}, ${ITER} iterations per contender (interleaved blocks)`);
  const a = await timeInterleaved(
    {
      'frec getOnlineFeatures': () => store.getOnlineFeatures(reqA),
      'raw MGET': () => raw.mgetBuffer(userKeys),
      'hash + pipelined HMGET': () => hmgetAll(userHashKeys, userFields),
    },
    ITER,
  );
  report('(a) 1 user x 3 views x 20', a, 'raw MGET');
  const b = await timeInterleaved(
    {
      'frec getOnlineFeatures': () => store.getOnlineFeatures(reqB),
      'raw MGET': () => raw.mgetBuffer(itemKeys),
      'hash + pipelined HMGET': () => hmgetAll(itemHashKeys, itemFields),
    },
    Math.max(200, Math.floor(ITER / 4)),
  );
  report('(b) 500 items x 1 view x 20', b, 'raw MGET');
  const hashOverFrec = pct(b['hash + pipelined HMGET']!.lat, 50) / pct(b['frec getOnlineFeatures']!.lat, 50);
  console.log(`(b) frec is ${hashOverFrec.toFixed(1)}x faster than the hash layout at p50 (target >= 4x)`);

  // SQLite, the embedded default, shape (b).
  const dir = mkdtempSync(path.join(tmpdir(), 'frec-bench-sqlite-'));
  const lite = await openBenchStore({ type: 'sqlite', path: path.join(dir, 'online.db') });
  try {
    await lite.store.writeToOnlineStore('item_v', itemRows);
    const s = await timeInterleaved(
      { 'frec getOnlineFeatures': () => lite.store.getOnlineFeatures(reqB), 'redis raw MGET': () => raw.mgetBuffer(itemKeys) },
      Math.max(200, Math.floor(ITER / 4)),
    );
    report('(b) SQLite, 500 items', s, 'redis raw MGET');
  } finally {
    await lite.close();
    rmSync(dir, { recursive: true, force: true });
  }
} finally {
  await deleteKeysWithPrefix(raw, prefix);
  raw.disconnect();
  await close();
}
