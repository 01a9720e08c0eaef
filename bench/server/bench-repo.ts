import { seededRandom } from '@frec/core/spi';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { FeatureStore, Float32, Int64, buildRepoContents, entity, featureView, field, fileSource } from '@frec/core';
import { deleteKeysWithPrefix } from '@frec/online/testing';

/** The two request shapes of the issue: 1 user x 50 features, and 500 ranking candidates x 20 features. */
export const USER_FEATURES = Array.from({ length: 50 }, (_, i) => `user_features:u${i}`);
export const ITEM_FEATURES = Array.from({ length: 20 }, (_, i) => `item_features:i${i}`);
export const ITEM_COUNT = 5000;

export const prng = seededRandom;

/** Request bodies (Feast shape) and their in-process equivalents. */
export function shapes(): Array<{
  name: string;
  body: string;
  request: { features: string[]; entityRows: Array<Record<string, number>> };
}> {
  const rnd = prng(7);
  const items = Array.from({ length: 500 }, () => 1 + Math.floor(rnd() * ITEM_COUNT));
  return [
    {
      name: '1 user x 50 features',
      body: JSON.stringify({ features: USER_FEATURES, entities: { user_id: [42] } }),
      request: { features: USER_FEATURES, entityRows: [{ user_id: 42 }] },
    },
    {
      name: '500 items x 20 features',
      body: JSON.stringify({ features: ITEM_FEATURES, entities: { item_id: items } }),
      request: { features: ITEM_FEATURES, entityRows: items.map((item_id) => ({ item_id })) },
    },
  ];
}

/** A temp repo (feature_store.yaml on disk, so `frec serve -c dir` and cluster workers can open it) on its own Redis prefix. */
export interface BenchRepo {
  dir: string;
  store: FeatureStore;
  cleanup(): Promise<void>;
}

/** Applies the bench views and writes 100 users and 5000 items with seeded values. */
export async function setupBenchRepo(redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'): Promise<BenchRepo> {
  const dir = mkdtempSync(path.join(tmpdir(), 'frec-bench-server-'));
  const prefix = `frec-bench-${randomUUID()}:`;
  writeFileSync(
    path.join(dir, 'feature_store.yaml'),
    `project: bench_server\nplugins: ['@frec/online', '@frec/offline', '@frec/streaming/redis-streams']\nregistry: ${path.join(dir, 'registry.json')}\nonline_store:\n  type: redis\n  connection_string: ${redisUrl}\n  key_prefix: '${prefix}'\nfeature_server:\n  max_entities: 1000\n`,
  );
  const user = entity({ name: 'user', joinKey: 'user_id', valueType: Int64 });
  const item = entity({ name: 'item', joinKey: 'item_id', valueType: Int64 });
  const src = fileSource({ name: 'bench_src', path: path.join(dir, 'none.parquet'), timestampField: 'event_timestamp' });
  const userView = featureView({
    name: 'user_features',
    entities: [user],
    source: src,
    online: true,
    schema: USER_FEATURES.map((f) => field(f.split(':')[1]!, Float32)),
  });
  const itemView = featureView({
    name: 'item_features',
    entities: [item],
    source: src,
    online: true,
    schema: ITEM_FEATURES.map((f) => field(f.split(':')[1]!, Float32)),
  });
  const contents = buildRepoContents([user, item, src, userView, itemView].map((object) => ({ object })));
  const store = await FeatureStore.open({ repoPath: dir, definitions: contents });
  await store.apply(contents, { validateSources: false });
  const rnd = prng(11);
  const now = new Date();
  const row = (key: string, id: number, names: string[]): Record<string, unknown> => {
    const r: Record<string, unknown> = { [key]: id, event_timestamp: now };
    for (const n of names) r[n.split(':')[1]!] = Math.round(rnd() * 1e4) / 1e4;
    return r;
  };
  await store.writeToOnlineStore(
    'user_features',
    Array.from({ length: 100 }, (_, i) => row('user_id', i, USER_FEATURES)),
  );
  for (let start = 1; start <= ITEM_COUNT; start += 1000) {
    await store.writeToOnlineStore(
      'item_features',
      Array.from({ length: 1000 }, (_, i) => row('item_id', start + i, ITEM_FEATURES)),
    );
  }
  return {
    dir,
    store,
    async cleanup() {
      await store.close();
      const r = new Redis(redisUrl);
      await deleteKeysWithPrefix(r, prefix);
      r.disconnect();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** p50 and p99 of latencies in ms. */
export function percentiles(ms: number[]): { p50: number; p99: number } {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN;
  return { p50: at(0.5), p99: at(0.99) };
}

/** Runs `fn` sequentially for `seconds` after a warm-up; latencies in ms. */
export async function timeLoop(
  fn: () => Promise<unknown>,
  seconds: number,
  warmup = 50,
): Promise<{ rps: number; p50: number; p99: number; n: number }> {
  for (let i = 0; i < warmup; i++) await fn();
  const lat: number[] = [];
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  while (performance.now() < end) {
    const s = performance.now();
    await fn();
    lat.push(performance.now() - s);
  }
  const elapsed = (performance.now() - t0) / 1000;
  return { rps: lat.length / elapsed, ...percentiles(lat), n: lat.length };
}
