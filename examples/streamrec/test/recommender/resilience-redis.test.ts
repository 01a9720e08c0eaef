import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Array as ArrayOf,
  Float32,
  Int64,
  FeatureStore,
  buildRepoContents,
  entity,
  featureView,
  field,
  fileSource,
  parseRepoConfig,
} from '@frec/core';
import '@frec/online';
import { OnnxRanker } from '@frec/model-serving/ranking';
import { Recommender } from '../../src/recommender/recommender.js';
import { featureStoreLookup } from '../../src/recommender/feature-store-lookup.js';
import { recommenderOptions, syntheticWorld, userFeatures } from './helpers/fixture.js';
import { RedisProcess, freePort } from './helpers/redis-process.js';
import { tinyRankerOnnx } from '../../../../packages/model-serving/test/helpers/tiny-onnx.js';

const world = syntheticWorld(17);
let redis: RedisProcess;
let store: FeatureStore;
let ranker: OnnxRanker;
let dir: string;

const user = entity({ name: 'user', joinKey: 'user_id', valueType: Int64 });
const src = fileSource({ name: 'user_src', path: 'data/users.parquet', timestampField: 'event_timestamp' });
const view = featureView({
  name: 'user_features',
  entities: [user],
  source: src,
  schema: [field('taste', ArrayOf(Float32)), field('last_10_items', ArrayOf(Int64)), field('n_interactions', Int64)],
});

async function writeUsers(): Promise<void> {
  const rows = Array.from({ length: 20 }, (_, i) => {
    const f = userFeatures(world, i + 1);
    return {
      user_id: i + 1,
      taste: Array.from(f.vector),
      last_10_items: f.recentItems,
      n_interactions: f.interactionCount,
      event_timestamp: Date.now(),
    };
  });
  await store.writeToOnlineStore('user_features', rows);
}

beforeAll(async () => {
  redis = new RedisProcess(await freePort());
  await redis.start();
  dir = mkdtempSync(path.join(tmpdir(), 'frec-rec-redis-'));
  const config = {
    ...parseRepoConfig(
      "project: rec_redis\nplugins: ['@frec/online', '@frec/offline', '@frec/streaming/redis-streams']\nregistry: { path: data/registry.json, cache_ttl_seconds: 60 }",
      {
        file: path.join(dir, 'feature_store.yaml'),
        repoPath: dir,
      },
    ),
    online_store: {
      type: 'redis' as const,
      connection_string: `redis://127.0.0.1:${redis.port}`,
      key_prefix: `frec-test-${randomUUID()}:`,
      connect_timeout_ms: 200,
      command_timeout_ms: 100,
    },
  };
  const definitions = buildRepoContents([user, src, view].map((object) => ({ object })));
  store = await FeatureStore.open({ config: config as never, definitions });
  await store.apply(definitions, { validateSources: false });
  await writeUsers();
  ranker = await OnnxRanker.load({ model: tinyRankerOnnx([0.3, -0.2, 0.1, 1, 0.5, -0.5, 0.2], 0.1), version: 'dcn-v2@1' });
});

afterAll(async () => {
  await store?.close();
  await ranker?.close();
  await redis?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('online store (real Redis) killed and restarted', () => {
  it('FULL with Redis up, STALE_FEATURES fast while it is down (breaker opens), FULL again after restart', async () => {
    const lookup = featureStoreLookup({
      store,
      features: ['user_features:taste', 'user_features:last_10_items', 'user_features:n_interactions'],
      joinKey: 'user_id',
      toUserFeatures: (v, s) => ({
        vector: Float32Array.from((v.taste as number[] | null) ?? [0, 0, 0]),
        recentItems: (v.last_10_items as number[] | null) ?? [],
        interactionCount: Number(v.n_interactions ?? 0),
        stale: s.last_10_items !== 'PRESENT',
      }),
    });
    const rec = new Recommender(
      recommenderOptions(world, ranker, { features: lookup, budgets: { features: 300 }, failuresToOpen: 3, halfOpenAfterMs: 400 }),
    );

    // The store connects on first use; on a loaded machine the first lookups may miss the budget.
    let up = await rec.recommend({ userId: 3 });
    for (let i = 0; i < 10 && up.degradationLevel !== 'FULL'; i++) up = await rec.recommend({ userId: 3 });
    expect(up.degradationLevel).toBe('FULL');
    expect(new Set(up.items.flatMap((i) => i.sources))).toContain('co_occurrence');
    // The user's own history (read from Redis) is filtered out of the answer.
    for (const i of up.items) expect(userFeatures(world, 3).recentItems).not.toContain(i.itemId);

    // Stream features missing for this user (never written): batch/defaults, flagged stale.
    const noStream = await rec.recommend({ userId: 999 });
    expect(noStream).toMatchObject({ degradationLevel: 'STALE_FEATURES', degraded: { features: 'stale' } });
    expect(noStream.items).toHaveLength(20);

    await redis.kill();
    const reasons: string[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      const res = await rec.recommend({ userId: 3 });
      const ms = performance.now() - t0;
      expect(ms).toBeLessThan(3000); // far under a hang, with slack for a loaded machine
      expect(res.degradationLevel).toBe('STALE_FEATURES');
      expect(res.items).toHaveLength(20);
      expect(res.modelVersions.ranker).toBe('dcn-v2@1');
      reasons.push(res.degraded.features!);
    }
    expect(reasons.slice(0, 3).every((r) => r === 'error' || r === 'timeout')).toBe(true);
    expect(reasons.slice(3)).toEqual(['circuit_open', 'circuit_open']);
    console.log('Redis down: feature stage reasons', reasons);

    await redis.start();
    // A restarted Redis is empty (no persistence here): rewrite the rows, as materialization would,
    // retrying while the store's client reconnects.
    for (let i = 0; ; i++) {
      try {
        await writeUsers();
        break;
      } catch (err) {
        if (i > 50) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    await new Promise((r) => setTimeout(r, 450));
    let back = await rec.recommend({ userId: 3 });
    // The client may need one more attempt to reconnect after the half-open trial.
    for (let i = 0; i < 20 && back.degradationLevel !== 'FULL'; i++) {
      await new Promise((r) => setTimeout(r, 450));
      back = await rec.recommend({ userId: 3 });
    }
    expect(back.degradationLevel).toBe('FULL');
    expect(back.items.map((i) => i.itemId)).toEqual(up.items.map((i) => i.itemId));
    const text = await rec.metrics.text();
    expect(text).toContain('frec_recommend_stage_failures_total{stage="features",reason="circuit_open"}');
    expect(text).toMatch(/frec_recommend_responses_total\{level="STALE_FEATURES"\} \d+/);
  });
});
