import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnnxRanker, type Ranker } from '@frec/model-serving/ranking';
import { Recommender } from '../../src/recommender/recommender.js';
import { ShadowScorer } from '@frec/model-serving/shadow';
import { RecommendMetrics } from '../../src/recommender/recommend-metrics.js';
import { recommenderOptions, rng, syntheticWorld } from './helpers/fixture.js';
import { tinyRankerOnnx } from '../../../../packages/model-serving/test/helpers/tiny-onnx.js';

const world = syntheticWorld(21);
let prod: OnnxRanker;
let candidate: OnnxRanker;
let nanCandidate: OnnxRanker;

beforeAll(async () => {
  prod = await OnnxRanker.load({ model: tinyRankerOnnx([0.3, -0.2, 0.1, 1, 0.5, -0.5, 0.2], 0.1), version: 'ranker@1' });
  candidate = await OnnxRanker.load({ model: tinyRankerOnnx([0.3, -0.2, 0.1, 0.8, 0.7, -0.5, 0.1], 0.1), version: 'ranker@2' });
  nanCandidate = await OnnxRanker.load({ model: tinyRankerOnnx([0, 0, 0, 1, 0, 0, 0], 0, { sqrt: true }), version: 'ranker@3-nan' });
});
afterAll(async () => {
  await Promise.all([prod.close(), candidate.close(), nanCandidate.close()]);
});

describe('shadow mode in the request path', () => {
  it('scores a sample of requests beside production without changing any response', async () => {
    const metrics = new RecommendMetrics();
    const shadow = new ShadowScorer({ ranker: candidate, sampleRate: 0.5, random: rng(1) }, metrics);
    const withShadow = new Recommender(recommenderOptions(world, prod, { shadow, metrics }));
    const without = new Recommender(recommenderOptions(world, prod));
    for (let u = 1; u <= 40; u++) {
      const a = await withShadow.recommend({ userId: u });
      const b = await without.recommend({ userId: u });
      expect(a.items).toEqual(b.items);
      expect(a.modelVersions).toEqual(b.modelVersions);
    }
    await shadow.drain();
    const stats = shadow.snapshot();
    const sampled = stats.requests;
    expect(sampled).toBeGreaterThan(10);
    expect(sampled).toBeLessThan(30);
    expect(stats.errors).toBe(0);
    expect(stats.meanAbsDiff).toBeGreaterThan(0);
    expect(stats.meanRankOverlap).toBeGreaterThan(0.2);
    expect(stats.meanRankOverlap).toBeLessThan(1);
    const text = await metrics.text();
    expect(text).toContain(`frec_recommend_shadow_requests_total{version="ranker@2"} ${sampled}`);
    expect(text).toMatch(/frec_recommend_shadow_rank_overlap_count\{version="ranker@2"\} \d+/);
    expect(text).toMatch(/frec_recommend_shadow_score_abs_diff_sum\{version="ranker@2"\} [0-9.]+/);
  });

  it('counts NaNs and errors of the shadow version, and production answers stay FULL', async () => {
    const metrics = new RecommendMetrics();
    const nanShadow = new ShadowScorer({ ranker: nanCandidate, sampleRate: 1 }, metrics);
    const broken: Ranker = {
      kind: 'test',
      version: 'ranker@4-broken',
      score: async () => {
        throw new Error('model crashed');
      },
      close: async () => {},
    };
    const errShadow = new ShadowScorer({ ranker: broken, sampleRate: 1 }, metrics);
    const recA = new Recommender(recommenderOptions(world, prod, { shadow: nanShadow, metrics }));
    const recB = new Recommender(recommenderOptions(world, prod, { shadow: errShadow, metrics }));
    for (let u = 1; u <= 5; u++) {
      expect((await recA.recommend({ userId: u })).degradationLevel).toBe('FULL');
      expect((await recB.recommend({ userId: u })).degradationLevel).toBe('FULL');
    }
    await nanShadow.drain();
    await errShadow.drain();
    expect(nanShadow.snapshot().nonFinite).toBeGreaterThan(0);
    expect(errShadow.snapshot()).toMatchObject({ errors: 5, requests: 0 });
    const text = await metrics.text();
    expect(text).toMatch(/frec_recommend_shadow_nonfinite_scores_total\{version="ranker@3-nan"\} [1-9]\d*/);
    expect(text).toContain('frec_recommend_shadow_errors_total{version="ranker@4-broken"} 5');
  });
});
