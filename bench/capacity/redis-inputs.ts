import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { buildRepoContents, FeatureStore, loadRepoConfig } from '@frec/core';
import '@frec/online';
import * as repo from '../../examples/streamrec/feature_repo/features.js';
import { FEATURE_REPO } from '../../examples/streamrec/src/serve/streamrec-recommender.js';
import { USER_FEATURE_REFS } from '../../examples/streamrec/src/serve/user-feature-refs.js';
import { load1 } from './load.js';
import type { Measured } from './model.js';

/** Redis server CPU seconds (user + system) so far, from INFO. */
export async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const num = (k: string): number => Number(new RegExp(`${k}:([0-9.]+)`).exec(info)?.[1] ?? 0);
  return num('used_cpu_user') + num('used_cpu_sys');
}

const USER_VIEWS = ['user_stats', 'user_recent'];
const ITEM_VIEWS = ['item_stats', 'item_content', 'item_tags'];

/** What materializing StreamRec's feature repo into one Redis tells: memory per entity, rows/s, lookup cost. */
export interface RedisInputs {
  prefix: string;
  rows: number;
  materializeSeconds: number;
  materializeRowsPerSecond: Measured;
  /** Mean MEMORY USAGE per key, per view, and keys per view. */
  perView: Record<string, { keys: number; sampled: number; meanBytes: number }>;
  bytesPerUser: Measured;
  bytesPerItem: Measured;
  usedMemoryDeltaBytes: number;
  lookups: number;
  redisCpuUsPerLookup: Measured;
  /** Client-side lookups/s from this one process (bounded by the client on 2 shared cores, not by Redis). */
  lookupsPerSecondClient: Measured;
  redisCpuUsPerRawMget: Measured;
  redisCpuUsPerKeyRead: Measured;
  rawMgetsPerSecondClient: Measured;
}

/**
 * Materializes every view of StreamRec's feature repo (its Parquet data, trained by
 * `npm run -w examples/streamrec train`) into the Redis at `url` under a fresh key prefix, with a
 * private registry, then: MEMORY USAGE over a sample of each view's keys, and the Redis CPU per
 * recommender lookup (getOnlineFeatures of one user's batch and stream rows) against a raw MGET of
 * the same keys (the floor) and a single-key MGET (what a cluster lookup sends per node).
 */
export async function measureRedisInputs(
  url: string,
  opts: { lookups: number; concurrency: number; sample: number },
): Promise<RedisInputs> {
  const prefix = `frec-capacity-${randomUUID().slice(0, 8)}:`;
  const dir = mkdtempSync(path.join(tmpdir(), 'frec-capacity-'));
  const redis = new Redis(url);
  const base = loadRepoConfig(FEATURE_REPO);
  const config = {
    ...base,
    registry: { path: path.join(dir, 'registry.json'), cache_ttl_seconds: 300 },
    online_store: { type: 'redis', connection_string: url, key_prefix: prefix, command_timeout_ms: 2000 },
  };
  const definitions = buildRepoContents(
    Object.values(repo)
      .filter((v): v is Extract<typeof v, { kind: string }> => typeof v === 'object' && v !== null && 'kind' in v)
      .map((object) => ({ object: object as never })),
  );
  const store = await FeatureStore.open({ config, definitions });
  try {
    await store.apply(definitions, { validateSources: false });
    const mem0 = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);
    const matLoad = load1();
    const res = await store.materialize(new Date(0), new Date());
    const mem1 = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);

    const perView: RedisInputs['perView'] = {};
    const keysOf: Record<string, string[]> = {};
    for (const view of [...USER_VIEWS, ...ITEM_VIEWS]) {
      const keys: string[] = [];
      for await (const batch of redis.scanStream({ match: `${prefix}${base.project}:${view}:*`, count: 1000 }) as AsyncIterable<string[]>)
        keys.push(...batch);
      keysOf[view] = keys;
      // An even sample over the scan order (which is hash order, so unrelated to the entity ids).
      const step = Math.max(1, Math.floor(keys.length / opts.sample));
      const sampled = keys.filter((_, i) => i % step === 0).slice(0, opts.sample);
      const pipe = redis.pipeline();
      for (const k of sampled) pipe.call('MEMORY', 'USAGE', k, 'SAMPLES', '0');
      const sizes = ((await pipe.exec()) ?? []).map(([, v]) => Number(v));
      perView[view] = { keys: keys.length, sampled: sizes.length, meanBytes: sizes.reduce((a, b) => a + b, 0) / Math.max(1, sizes.length) };
    }
    const memLoad = load1();
    // Per entity: every view's bytes over the entities of that kind (item_tags covers only tagged items).
    const perEntity = (views: string[]): number =>
      views.reduce((s, v) => s + perView[v]!.meanBytes * perView[v]!.keys, 0) / Math.max(...views.map((v) => perView[v]!.keys));

    // The recommender's lookup, as StreamRec's request path sends it, for users that have rows.
    const users = keysOf.user_stats!.map((k) => Number(k.slice(k.lastIndexOf(':') + 1)));
    const features = Object.values(USER_FEATURE_REFS);
    let seed = 7;
    const nextUser = (): number => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return users[seed % users.length]!;
    };
    const timed = async (work: () => Promise<unknown>): Promise<{ perSecond: number; cpuUs: number; load: number }> => {
      const cpu0 = await redisCpuSeconds(redis);
      const t = performance.now();
      let left = opts.lookups;
      await Promise.all(
        Array.from({ length: opts.concurrency }, async () => {
          while (left-- > 0) await work();
        }),
      );
      const seconds = (performance.now() - t) / 1000;
      const cpu = (await redisCpuSeconds(redis)) - cpu0;
      return { perSecond: opts.lookups / seconds, cpuUs: (cpu * 1e6) / opts.lookups, load: load1() };
    };
    // Warm-up: schemas fetched, connections and JIT ready.
    for (let i = 0; i < 200; i++) await store.getOnlineFeatures({ features, entityRows: [{ user_id: nextUser() }] });
    const lookup = await timed(() => store.getOnlineFeatures({ features, entityRows: [{ user_id: nextUser() }] }));
    const keyOf = (view: string, u: number): string => `${prefix}${base.project}:${view}:${u}`;
    const raw = await timed(() => {
      const u = nextUser();
      return redis.mgetBuffer(keyOf('user_stats', u), keyOf('user_recent', u));
    });
    // One view's row through the same client: what a cluster lookup sends to each node it hits (ADR 0021).
    const statsOnly = features.filter((r) => r.startsWith('user_stats:'));
    const single = await timed(() => store.getOnlineFeatures({ features: statsOnly, entityRows: [{ user_id: nextUser() }] }));
    return {
      prefix,
      rows: res.rows,
      materializeSeconds: res.seconds,
      materializeRowsPerSecond: { value: res.rows / res.seconds, load: matLoad },
      perView,
      bytesPerUser: { value: perEntity(USER_VIEWS), load: memLoad },
      bytesPerItem: { value: perEntity(ITEM_VIEWS), load: memLoad },
      usedMemoryDeltaBytes: mem1 - mem0,
      lookups: opts.lookups,
      redisCpuUsPerLookup: { value: lookup.cpuUs, load: lookup.load },
      lookupsPerSecondClient: { value: lookup.perSecond, load: lookup.load },
      redisCpuUsPerRawMget: { value: raw.cpuUs, load: raw.load },
      redisCpuUsPerKeyRead: { value: single.cpuUs, load: single.load },
      rawMgetsPerSecondClient: { value: raw.perSecond, load: raw.load },
    };
  } finally {
    await store.close();
    redis.disconnect();
    rmSync(dir, { recursive: true, force: true });
  }
}
