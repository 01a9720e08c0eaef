import { Counter, Histogram, Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '@frec/core/spi';
import { OnnxRanker, type RankBatch, type Ranker } from '../src/ranking/index.js';
import { ShadowScorer, topKOverlap, type ShadowMetrics } from '../src/shadow/index.js';
import { tinyRankerOnnx } from './helpers/tiny-onnx.js';

const D = 4;
let prod: OnnxRanker;
let candidate: OnnxRanker;
let nanCandidate: OnnxRanker;

beforeAll(async () => {
  prod = await OnnxRanker.load({ model: tinyRankerOnnx([0.3, -0.2, 1, 0.5], 0.1), version: 'ranker@1' });
  candidate = await OnnxRanker.load({ model: tinyRankerOnnx([0.3, -0.2, 0.8, 0.7], 0.1), version: 'ranker@2' });
  nanCandidate = await OnnxRanker.load({ model: tinyRankerOnnx([0, 0, 1, 0], 0, { sqrt: true }), version: 'ranker@3-nan' });
});
afterAll(async () => {
  await Promise.all([prod.close(), candidate.close(), nanCandidate.close()]);
});

function batch(n: number, seed: number): RankBatch {
  const rand = seededRandom(seed);
  return { size: n, inputs: { x: { data: Float32Array.from({ length: n * D }, () => rand() * 2 - 1), dims: [n, D] } } };
}

/** The shadow metrics as a caller registers them: real prom-client collectors in a registry of its own. */
function promMetrics(): { metrics: ShadowMetrics; registry: Registry } {
  const registry = new Registry();
  const r = [registry];
  const counter = (name: string) => new Counter({ name, help: name, labelNames: ['version'], registers: r });
  const histogram = (name: string) => new Histogram({ name, help: name, labelNames: ['version'], buckets: [0.1, 0.5, 1], registers: r });
  return {
    registry,
    metrics: {
      shadowRequests: counter('shadow_requests_total'),
      shadowScoreDiff: histogram('shadow_score_abs_diff'),
      shadowRankOverlap: histogram('shadow_rank_overlap'),
      shadowNonFinite: counter('shadow_nonfinite_scores_total'),
      shadowErrors: counter('shadow_errors_total'),
    },
  };
}

describe('ShadowScorer', () => {
  it('compares a seeded sample of batches against production and records the differences', async () => {
    const { metrics, registry } = promMetrics();
    const shadow = new ShadowScorer({ ranker: candidate, sampleRate: 0.5, random: seededRandom(1), topK: 10 }, metrics);
    let sampled = 0;
    for (let i = 0; i < 40; i++) {
      const b = batch(50, i + 1);
      if (shadow.maybeCompare(b, await prod.score(b))) sampled++;
    }
    await shadow.drain();
    const stats = shadow.snapshot();
    expect(stats.version).toBe('ranker@2');
    expect(stats.requests).toBe(sampled);
    expect(sampled).toBeGreaterThan(10);
    expect(sampled).toBeLessThan(30);
    expect(stats).toMatchObject({ errors: 0, nonFinite: 0 });
    expect(stats.meanAbsDiff).toBeGreaterThan(0);
    expect(stats.meanRankOverlap).toBeGreaterThan(0.2);
    expect(stats.meanRankOverlap).toBeLessThan(1);
    const text = await registry.metrics();
    expect(text).toContain(`shadow_requests_total{version="ranker@2"} ${sampled}`);
    expect(text).toContain(`shadow_rank_overlap_count{version="ranker@2"} ${sampled}`);
  });

  it('the same model as shadow agrees exactly: no difference, full overlap', async () => {
    const shadow = new ShadowScorer({ ranker: prod, sampleRate: 1 });
    for (let i = 0; i < 5; i++) {
      const b = batch(30, 100 + i);
      expect(shadow.maybeCompare(b, await prod.score(b))).toBe(true);
    }
    await shadow.drain();
    expect(shadow.snapshot()).toMatchObject({ requests: 5, errors: 0, nonFinite: 0, meanAbsDiff: 0, meanRankOverlap: 1 });
  });

  it('counts NaN scores and failures of the shadow version without throwing', async () => {
    const { metrics, registry } = promMetrics();
    const nan = new ShadowScorer({ ranker: nanCandidate, sampleRate: 1 }, metrics);
    const broken: Ranker = {
      kind: 'test',
      version: 'ranker@4-broken',
      score: async () => {
        throw new Error('model crashed');
      },
      close: async () => {},
    };
    const short: Ranker = { ...broken, version: 'ranker@5-short', score: async () => new Float32Array(1) };
    const failing = [
      new ShadowScorer({ ranker: broken, sampleRate: 1 }, metrics),
      new ShadowScorer({ ranker: short, sampleRate: 1 }, metrics),
    ];
    for (let i = 0; i < 3; i++) {
      const b = batch(20, 200 + i);
      const p = await prod.score(b);
      for (const s of [nan, ...failing]) s.maybeCompare(b, p);
    }
    await Promise.all([nan, ...failing].map((s) => s.drain()));
    expect(nan.snapshot().nonFinite).toBeGreaterThan(0);
    for (const s of failing) expect(s.snapshot()).toMatchObject({ errors: 3, requests: 0 });
    const text = await registry.metrics();
    expect(text).toMatch(/shadow_nonfinite_scores_total\{version="ranker@3-nan"\} [1-9]\d*/);
    expect(text).toContain('shadow_errors_total{version="ranker@4-broken"} 3');
    expect(text).toContain('shadow_errors_total{version="ranker@5-short"} 3');
  });

  it('topKOverlap compares top-k sets and ranks NaN last', () => {
    const a = Float32Array.from([5, 4, 3, 2, 1]);
    expect(topKOverlap(a, Float32Array.from([5, 4, 3, 2, 1]), 2)).toBe(1);
    expect(topKOverlap(a, Float32Array.from([1, 2, 3, 4, 5]), 2)).toBe(0);
    expect(topKOverlap(a, Float32Array.from([NaN, 4, 3, 2, 1]), 2)).toBe(0.5);
  });
});
