import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mergeCandidates } from '../../src/recommender/merge-candidates.js';
import { InMemoryCatalog } from '../../src/recommender/in-memory-catalog.js';
import { Recommender } from '../../src/recommender/recommender.js';
import { createRecommendServer } from '../../src/recommender/server/recommend-server.js';
import { OnnxRanker } from '@frec/model-serving/ranking';
import { topK } from '@frec/model-serving/item-index';
import { CoOccurrenceSource } from '../../src/recommender/sources/co-occurrence-source.js';
import type { RetrievalSource } from '../../src/recommender/sources/retrieval-source.js';
import { recommenderOptions, syntheticWorld, userFeatures } from './helpers/fixture.js';
import { tinyRankerOnnx } from '../../../../packages/model-serving/test/helpers/tiny-onnx.js';

const world = syntheticWorld(7);
let ranker: OnnxRanker;
let nanRanker: OnnxRanker;

beforeAll(async () => {
  ranker = await OnnxRanker.load({ model: tinyRankerOnnx([0.3, -0.2, 0.1, 1, 0.5, -0.5, 0.2], 0.1), version: 'dcn-v2@3' });
  // Sqrt of a negative logit is NaN: a real model that emits non-finite scores for some items.
  nanRanker = await OnnxRanker.load({ model: tinyRankerOnnx([0, 0, 0, 1, 0, 0, 0], 0, { sqrt: true }), version: 'dcn-v2@nan' });
});
afterAll(async () => {
  await ranker.close();
  await nanRanker.close();
});

describe('mergeCandidates', () => {
  const catalog = new InMemoryCatalog([1, 2, 3, 4, 5].map((id) => ({ id, genres: [] })));
  it('dedups across sources, keeps every source per item and fuses by rank', () => {
    const r = mergeCandidates(
      [
        {
          source: 'a',
          items: [
            { itemId: 1, score: 9 },
            { itemId: 2, score: 8 },
          ],
        },
        {
          source: 'b',
          items: [
            { itemId: 2, score: 0.9 },
            { itemId: 3, score: 0.1 },
          ],
        },
      ],
      catalog,
    );
    expect(r.candidates.map((c) => c.itemId)).toEqual([2, 1, 3]);
    expect(r.candidates[0]).toMatchObject({ itemId: 2, sources: ['a', 'b'], retrievalScore: 1 });
    expect(r.candidates[2]!.retrievalScore).toBeLessThan(1);
  });
  it('drops items that are no longer in the catalog and caps the list', () => {
    const r = mergeCandidates([{ source: 'a', items: [99, 1, 98, 2, 3].map((itemId) => ({ itemId, score: 1 })) }], catalog, 2);
    expect(r.candidates.map((c) => c.itemId)).toEqual([1, 2]);
    expect(r.droppedNotInCatalog).toBe(2);
    expect(r.droppedOverLimit).toBe(1);
  });
});

describe('topK', () => {
  it('matches a full sort and skips excluded and non-finite values', () => {
    const s = Float32Array.from([0.5, 3, NaN, 2, 9, -1, 4]);
    expect(topK(s, 3)).toEqual([4, 6, 1]);
    expect(topK(s, 3, (i) => i === 4)).toEqual([6, 1, 3]);
  });
});

describe('CoOccurrenceSource', () => {
  const hs = [
    [1, 2, 3, 4],
    [2, 3, 5],
    [3, 1, 2],
    [4, 5, 1],
  ];
  const source = CoOccurrenceSource.fromHistories(hs, { window: 2, neighbours: 3 });
  const ctx = (recent: number[]) => ({
    userId: 1,
    context: {},
    features: Promise.resolve({ ...userFeatures(world, 1), recentItems: recent }),
    signal: new AbortController().signal,
  });

  it('scores any item on the scale retrieve ranks by, 0 for an item no recent item neighbours', async () => {
    const got = await source.retrieve(ctx([1, 3]), 10);
    expect(got.length).toBeGreaterThan(0);
    const scores = source.scoreItems([1, 3], [...got.map((g) => g.itemId), 99]);
    got.forEach((g, i) => expect(scores[i]).toBe(g.score));
    expect(scores[got.length]).toBe(0);
    // The recent items themselves are never scored; no recent items, no scores.
    expect(Array.from(source.scoreItems([1, 3], [1, 3]))).toEqual([0, 0]);
    expect(Array.from(source.scoreItems([], [2]))).toEqual([0]);
    // Scoring leaves nothing behind: the next retrieve is the same.
    expect(await source.retrieve(ctx([1, 3]), 10)).toEqual(got);
  });

  it('keeps, among equal scores, the neighbours with the lower ids', () => {
    // Item 1 co-occurs once with each of 2, 3 and 4, all with the same count: 2 and 3 are kept.
    const tie = CoOccurrenceSource.fromHistories(
      [
        [4, 1, 3],
        [2, 1],
      ],
      { window: 1, neighbours: 2 },
    );
    const s = tie.scoreItems([1], [2, 3, 4]);
    expect(s[0]).toBeGreaterThan(0);
    expect(s[1]).toBeGreaterThan(0);
    expect(s[2]).toBe(0);
  });
});

describe('Recommender request path', () => {
  it('answers with about 500 deduplicated candidates from 4 sources, ranked in one batch', async () => {
    const rec = new Recommender(recommenderOptions(world, ranker));
    const res = await rec.recommend({ userId: 3, count: 20 });
    expect(res.degradationLevel).toBe('FULL');
    expect(res.items).toHaveLength(20);
    expect(res.modelVersions).toMatchObject({ ranker: 'dcn-v2@3', two_tower: 'two-tower-v1', trending: 'trending' });
    const seen = userFeatures(world, 3).seenItems!;
    for (const item of res.items) {
      expect(world.catalog.has(item.itemId)).toBe(true);
      expect(seen.has(item.itemId)).toBe(false);
      expect(item.sources.length).toBeGreaterThan(0);
    }
    expect(new Set(res.items.map((i) => i.itemId)).size).toBe(20);
    // Scores are the ONNX model's: recompute the first item's score by hand.
    const first = res.items[0]!;
    const f = userFeatures(world, 3).vector;
    const x = [...f, ...world.catalog.features(first.itemId)!];
    const w = [0.3, -0.2, 0.1, 1, 0.5, -0.5, 0.2];
    const z = x.reduce((s, v, j) => s + v * w[j]!, 0.1);
    expect(first.score).toBeCloseTo(1 / (1 + Math.exp(-z)), 5);
    const perRequest = (await rec.metrics.registry.getSingleMetric('frec_recommend_candidates_per_request')!.get()).values;
    const sum = perRequest.find((v) => (v as { metricName?: string }).metricName?.endsWith('_sum'))!.value;
    expect(sum).toBeGreaterThan(450);
    expect(sum).toBeLessThanOrEqual(500);
    const bySource = (await rec.metrics.registry.getSingleMetric('frec_recommend_candidates_total')!.get()).values;
    expect(bySource.map((v) => v.labels.source).sort()).toEqual(['co_occurrence', 'content', 'trending', 'two_tower']);
  });

  it('starts the feature lookup at once and overlaps it with retrieval', async () => {
    const log: Array<[string, number]> = [];
    const t0 = performance.now();
    const slow = (name: string): RetrievalSource => ({
      name,
      async retrieve() {
        log.push([`${name}:start`, performance.now() - t0]);
        await new Promise((r) => setTimeout(r, 100));
        log.push([`${name}:end`, performance.now() - t0]);
        return world.trending.list().slice(0, 50);
      },
    });
    const rec = new Recommender(
      recommenderOptions(world, ranker, {
        sources: [
          { source: slow('s1'), k: 50 },
          { source: slow('s2'), k: 50 },
          { source: slow('s3'), k: 50 },
          { source: slow('s4'), k: 50 },
        ],
        features: async (u) => {
          log.push(['features:start', performance.now() - t0]);
          await new Promise((r) => setTimeout(r, 100));
          log.push(['features:end', performance.now() - t0]);
          return userFeatures(world, u);
        },
        budgets: { features: 500, retrieval: 500, ranking: 500, total: 1000 },
      }),
    );
    const res = await rec.recommend({ userId: 5 });
    expect(res.degradationLevel).toBe('FULL');
    // Overlap, whatever the machine's speed: all five waits start before any of them ends (in
    // sequence, each would end before the next starts).
    const names = log.map(([n]) => n);
    expect(names.slice(0, 5).every((n) => n.endsWith(':start'))).toBe(true);
    expect(names.filter((n) => n.endsWith(':end'))).toHaveLength(5);
    expect(log[0]![0]).toBe('features:start');
  });

  it('drops items that left the catalog even when every source still proposes them', async () => {
    const w = syntheticWorld(11);
    const removed = w.trending
      .list()
      .slice(0, 30)
      .map((i) => i.itemId);
    for (const id of removed) w.catalog.remove(id);
    const rec = new Recommender(recommenderOptions(w, ranker));
    const res = await rec.recommend({ userId: 8, count: 50 });
    expect(res.items).toHaveLength(50);
    for (const item of res.items) expect(removed).not.toContain(item.itemId);
    const dropped = (await rec.metrics.registry.getSingleMetric('frec_recommend_dropped_not_in_catalog_total')!.get()).values[0]!.value;
    expect(dropped).toBeGreaterThan(0);
  });

  it('catches NaN scores from the model: those items fall back to their retrieval score', async () => {
    const rec = new Recommender(recommenderOptions(world, nanRanker));
    const res = await rec.recommend({ userId: 4, count: 100 });
    expect(res.items).toHaveLength(100);
    for (const i of res.items) expect(Number.isFinite(i.score)).toBe(true);
    expect(Number(res.degraded.nonFiniteScores)).toBeGreaterThan(0);
    const nonFinite = (await rec.metrics.registry.getSingleMetric('frec_recommend_nonfinite_scores_total')!.get()).values[0]!;
    expect(nonFinite.labels.model_version).toBe('dcn-v2@nan');
    expect(nonFinite.value).toBe(Number(res.degraded.nonFiniteScores));
    // Fallback scores are retrieval scores, in (0, 1].
    const fallback = res.items.filter((i) => i.score <= 1 && i.score > 0);
    expect(fallback.length).toBe(res.items.length);
  });
});

describe('POST /recommendations', () => {
  it('serves recommendations and Prometheus metrics, and rejects bad input with 400 naming the field', async () => {
    const rec = new Recommender(recommenderOptions(world, ranker));
    const app = createRecommendServer({ recommender: rec });
    try {
      const url = await app.listen({ host: '127.0.0.1', port: 0 });
      const post = (body: unknown) =>
        fetch(`${url}/recommendations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const ok = await post({ userId: 9, context: { device: 'tv', timeMs: Date.UTC(2026, 0, 1, 20) } });
      expect(ok.status).toBe(200);
      const body = (await ok.json()) as { items: unknown[]; degradationLevel: string; modelVersions: Record<string, string> };
      expect(body.items).toHaveLength(20);
      expect(body.degradationLevel).toBe('FULL');
      expect(body.modelVersions.ranker).toBe('dcn-v2@3');
      for (const [bad, field] of [
        [{}, 'userId'],
        [{ userId: 1, count: 0 }, 'count'],
        [{ userId: 1, count: 5000 }, 'count'],
        [{ userId: 1, context: { device: 3 } }, 'context.device'],
        [{ userId: 1, context: { timeMs: 'yesterday' } }, 'context.timeMs'],
        [[1, 2], 'body'],
      ] as const) {
        const res = await post(bad);
        expect(res.status).toBe(400);
        const err = (await res.json()) as { error: { code: string; message: string } };
        expect(err.error.code).toBe('INVALID_REQUEST');
        expect(err.error.message).toContain(`'${field}'`);
      }
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).toMatch(/frec_recommend_stage_seconds_bucket\{le="[^"]+",stage="ranking"\}/);
      expect(metrics).toContain('frec_recommend_responses_total{level="FULL"} 1');
      expect(metrics).toContain('frec_recommend_candidates_total{source="two_tower"}');
    } finally {
      await app.close();
    }
  });
});
