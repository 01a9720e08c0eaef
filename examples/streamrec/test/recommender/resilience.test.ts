import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnnxRanker, type Ranker, LogisticRanker } from '@frec/model-serving/ranking';
import { Recommender } from '../../src/recommender/recommender.js';
import type { RetrievalSource } from '../../src/recommender/sources/retrieval-source.js';
import { recommenderOptions, syntheticWorld } from './helpers/fixture.js';
import { tinyRankerOnnx } from '../../../../packages/model-serving/test/helpers/tiny-onnx.js';

const world = syntheticWorld(13);
let onnx: OnnxRanker;
beforeAll(async () => {
  onnx = await OnnxRanker.load({ model: tinyRankerOnnx([0.3, -0.2, 0.1, 1, 0.5, -0.5, 0.2], 0.1), version: 'dcn-v2@1' });
});
afterAll(async () => {
  await onnx.close();
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A ranker whose behaviour the test switches: the real ONNX model, a throw, or a hang. */
function switchable(real: Ranker) {
  const state = { mode: 'ok' as 'ok' | 'throw' | 'hang' };
  const ranker: Ranker = {
    kind: 'onnx',
    get version() {
      return real.version;
    },
    score: (batch, signal) => {
      if (state.mode === 'throw') return Promise.reject(new Error('ONNX session crashed'));
      if (state.mode === 'hang') return new Promise<Float32Array>(() => {});
      return real.score(batch, signal);
    },
    close: () => real.close(),
  };
  return { ranker, state };
}

describe('degradation chain', () => {
  it('ranker throws: SIMPLE_RANKING (logistic regression), breaker opens, then recovers to FULL', async () => {
    const { ranker, state } = switchable(onnx);
    const fallback = new LogisticRanker(Float32Array.from([0, 0, 0, 1, 0.5, -0.5, 0.2]), 0, 'logistic@1');
    const rec = new Recommender(recommenderOptions(world, ranker, { fallbackRanker: fallback, failuresToOpen: 3, halfOpenAfterMs: 500 }));
    expect((await rec.recommend({ userId: 1 })).degradationLevel).toBe('FULL');
    state.mode = 'throw';
    const levels: string[] = [];
    const reasons: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await rec.recommend({ userId: 1 });
      levels.push(res.degradationLevel);
      reasons.push(res.degraded.ranking!);
      expect(res.items).toHaveLength(20);
      expect(res.modelVersions.ranker).toBe('logistic@1');
    }
    expect(levels.every((l) => l === 'SIMPLE_RANKING')).toBe(true);
    expect(reasons).toEqual(['error', 'error', 'error', 'circuit_open', 'circuit_open']);
    state.mode = 'ok';
    expect((await rec.recommend({ userId: 1 })).degradationLevel).toBe('SIMPLE_RANKING');
    await sleep(550);
    const back = await rec.recommend({ userId: 1 });
    expect(back.degradationLevel).toBe('FULL');
    expect(back.modelVersions.ranker).toBe('dcn-v2@1');
    const text = await rec.metrics.text();
    expect(text).toContain('frec_recommend_responses_total{level="SIMPLE_RANKING"} 6');
    expect(text).toContain('frec_recommend_stage_failures_total{stage="ranking",reason="circuit_open"} 3');
  });

  it('ranker hangs: the request returns within the ranking budget with SIMPLE_RANKING', async () => {
    const { ranker, state } = switchable(onnx);
    const rec = new Recommender(recommenderOptions(world, ranker, { budgets: { ranking: 60 } }));
    state.mode = 'hang';
    const t0 = performance.now();
    const res = await rec.recommend({ userId: 2 });
    const ms = performance.now() - t0;
    // Far under a hang, with slack for a loaded machine.
    expect(ms).toBeLessThan(3000);
    expect(res).toMatchObject({
      degradationLevel: 'SIMPLE_RANKING',
      degraded: { ranking: 'timeout' },
      modelVersions: { ranker: 'retrieval-score' },
    });
    expect(res.items).toHaveLength(20);
    state.mode = 'ok';
    expect((await rec.recommend({ userId: 2 })).degradationLevel).toBe('FULL');
  });

  it('everything down (features, all four sources): POPULAR from the precomputed list, then recovery', async () => {
    const state = { down: true };
    const wrap = (s: RetrievalSource): RetrievalSource => ({
      name: s.name,
      version: s.version,
      retrieve: (ctx, k) => (state.down ? Promise.reject(new Error(`${s.name} down`)) : s.retrieve(ctx, k)),
    });
    const base = recommenderOptions(world, onnx);
    const rec = new Recommender({
      ...base,
      sources: base.sources.map((q) => ({ source: wrap(q.source), k: q.k })),
      features: (u, c, sig) => (state.down ? Promise.reject(new Error('online store down')) : base.features(u, c, sig)),
    });
    const res = await rec.recommend({ userId: 3, count: 10 });
    expect(res.degradationLevel).toBe('POPULAR');
    expect(res.items.map((i) => i.itemId)).toEqual(
      world.trending
        .list()
        .slice(0, 10)
        .map((i) => i.itemId),
    );
    expect(res.items.every((i) => i.sources[0] === 'popular')).toBe(true);
    expect(res.degraded).toMatchObject({ features: 'error', retrieval_two_tower: 'error', retrieval_trending: 'error' });
    state.down = false;
    expect((await rec.recommend({ userId: 3 })).degradationLevel).toBe('FULL');
  });

  it('feature lookup failing alone gives STALE_FEATURES with defaults, still ranked by the model', async () => {
    const base = recommenderOptions(world, onnx);
    const rec = new Recommender({ ...base, features: () => new Promise(() => {}), budgets: { ...base.budgets, features: 20 } });
    const res = await rec.recommend({ userId: 4 });
    expect(res).toMatchObject({
      degradationLevel: 'STALE_FEATURES',
      degraded: { features: 'timeout' },
      modelVersions: { ranker: 'dcn-v2@1' },
    });
    expect(res.items).toHaveLength(20);
    // Without recent items, co-occurrence and content have nothing to start from; ANN and trending still answer.
    expect(new Set(res.items.flatMap((i) => i.sources))).not.toContain('co_occurrence');
  });
});
