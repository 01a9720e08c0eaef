import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalModelStore, ModelRegistry } from '@frec/model-registry';
import { loadProductionModels } from '../src/serve/load-models.js';
import { ExactItemIndex } from '@frec/model-serving/item-index';
import { twoTowerManifestParams } from '../src/models/manifest-params.js';
import {
  asEnsemble,
  ensembleDim,
  ensembleItemForward,
  ensembleUserForward,
  serializeParams,
  towerEnsemble,
  trainTwoTower,
} from '../src/models/index.js';
import {
  addBias,
  historyQuery,
  POPULARITY_WEIGHT_GRID,
  popularityPrior,
  retrievalBias,
  withBiasColumn,
  withUnitColumn,
} from '../src/retrieval/index.js';
import { syntheticInteractions } from '../src/models/synthetic.js';
import { Rng } from '../src/nn/rng.js';
import { tuneHistoryQuery, tuneRetrievalQuery, twoTowerRank, type QueryGridPoint } from '../src/pipeline/two-stage/index.js';
import { scoreAll } from '../src/nn/matvec.js';
import { ndcgAtK, topK } from '../src/eval/metrics.js';
import { ndcgAt } from './fixtures.js';

describe('popularity prior (ADR 0077)', () => {
  it('is T x log(1 + count) per item, scaled by its weight', () => {
    const prior = popularityPrior([0, 1, 9, 99], 0.05);
    expect(Array.from(prior)).toEqual(Array.from(Float32Array.of(0, 0.05 * Math.log(2), 0.05 * Math.log(10), 0.05 * Math.log(100))));
    expect(Array.from(retrievalBias(prior, 2))).toEqual(Array.from(prior, (p) => Math.fround(2 * p)));
    const scores = Float32Array.of(1, 1, 1, 1);
    expect(addBias(scores, retrievalBias(prior, 1))[3]).toBeCloseTo(1 + 0.05 * Math.log(100), 6);
    expect(Array.from(addBias(Float32Array.of(3, 4), undefined))).toEqual([3, 4]);
  });

  it('moves popular items up the two-tower ranking, the more the higher its weight', () => {
    // Two items the tower scores alike; the prior breaks the tie for the more-watched one.
    const emb = Float32Array.of(1, 0, 0.999, 0, 0, 1);
    const tower = towerEnsemble([
      trainTwoTower(syntheticInteractions({ numUsers: 2, numItems: 3, n: 20, dUser: 2, dItem: 2, seed: 1 }).train, {
        epochs: 1,
        embeddingDim: 2,
        hidden: [],
        outputDim: 2,
        seed: 1,
      }).params,
    ]);
    const vec = new Map([[0, Float32Array.of(0, 0)]]);
    const q = ensembleUserForward(tower, Int32Array.of(0), vec.get(0)!);
    const plain = twoTowerRank(tower, emb, vec)(0, 0, 3, new Set());
    const prior = popularityPrior([0, 1000, 0], 0.05);
    const withPrior = twoTowerRank(tower, emb, vec, new Map(), { weight: 0, decay: 1 }, retrievalBias(prior, 1))(0, 0, 3, new Set());
    const want = (bias: Float32Array): number[] => Array.from(topK(addBias(scoreAll(emb, 2, q), bias), 3, new Set()));
    expect(Array.from(withPrior)).toEqual(want(retrievalBias(prior, 1)));
    // Item 1 gains 0.05 x log(1001) = 0.35 over item 0, whatever the tower made of the two.
    expect(withPrior.indexOf(1)).toBeLessThanOrEqual(plain.indexOf(1));
    expect(withPrior.indexOf(1)).toBeLessThan(withPrior.indexOf(0));
  });

  it('is tuned with the recent-items query: every grid point scored as the direct query, the weight picked by the held-out items', () => {
    const s = syntheticInteractions({ numUsers: 30, numItems: 80, n: 900, dUser: 4, dItem: 5, seed: 11 });
    const tower = towerEnsemble([trainTwoTower(s.train, { epochs: 2, batchSize: 64, seed: 3 }).params]);
    const items = ensembleItemForward(tower, s.train.itemFeatures);
    const dim = ensembleDim(tower);
    const rng = new Rng(5);
    const pick = (n: number): number[] => Array.from({ length: n }, () => Math.floor(rng.next() * 80));
    const requests = Array.from({ length: 30 }, (_, u) => ({
      user: u,
      vector: s.userFeaturesByUser.slice(u * 4, (u + 1) * 4),
      recent: Int32Array.from(pick(u % 5)),
      exclude: new Set(pick(5)),
    }));
    // Items 0-9 are by far the most watched; in the first world users go on to watch them.
    const counts = Array.from({ length: 80 }, (_, i) => (i < 10 ? 500 : 1 + (i % 3)));
    const prior = popularityPrior(counts, tower.members[0]!.config.temperature);
    const popularNext = new Map(
      requests.map((q) => [q.user, new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].filter((i) => !q.exclude.has(i)))] as const),
    );
    const tuned = tuneHistoryQuery({ tower, itemEmbeddings: items, requests, relevant: popularNext, prior, weights: [0, 1], decays: [1] });
    for (const weight of [0, 1]) {
      for (const beta of POPULARITY_WEIGHT_GRID) {
        let sum = 0;
        for (const q of requests) {
          const query = historyQuery(
            ensembleUserForward(tower, Int32Array.of(q.user), q.vector),
            0,
            dim,
            items,
            q.recent,
            weight,
            undefined,
            1,
          );
          const scores = addBias(scoreAll(items, dim, query, 0, new Float64Array(80)), retrievalBias(prior, beta));
          sum += ndcgAtK(topK(scores, 20, q.exclude), popularNext.get(q.user)!, 20);
        }
        expect(ndcgAt(tuned.grid, { weight, decay: 1, popularityWeight: beta })).toBeCloseTo(sum / requests.length, 5);
      }
    }
    expect(tuned.grid).toHaveLength(2 * POPULARITY_WEIGHT_GRID.length);
    expect(tuned.popularityWeight).toBeGreaterThan(0);
    expect(ndcgAt(tuned.grid, { ...tuned.best, popularityWeight: tuned.popularityWeight })!).toBeGreaterThan(
      ndcgAt(tuned.grid, { ...tuned.best, popularityWeight: 0 })!,
    );

    // In the second world users go on to watch the least-watched items: no prior.
    const nichey = new Map(requests.map((q) => [q.user, new Set([10, 13, 16, 19, 22, 25, 28].filter((i) => !q.exclude.has(i)))] as const));
    expect(
      tuneHistoryQuery({ tower, itemEmbeddings: items, requests, relevant: nichey, prior, weights: [0, 1], decays: [1] }).popularityWeight,
    ).toBe(0);
    // Without a prior the grid has no prior axis and the weight is 0.
    const none = tuneHistoryQuery({ tower, itemEmbeddings: items, requests, relevant: popularNext, weights: [0, 1], decays: [1] });
    expect(none.popularityWeight).toBe(0);
    expect(none.grid.map(({ ndcg: _, ...at }) => at)).toEqual([
      { weight: 0, decay: 1 },
      { weight: 1, decay: 1 },
    ]);
  });

  it('is tuned in two passes: the recent-items grid, then that decay\u2019s weights x prior weights', () => {
    const s = syntheticInteractions({ numUsers: 30, numItems: 80, n: 900, dUser: 4, dItem: 5, seed: 12 });
    const tower = towerEnsemble([trainTwoTower(s.train, { epochs: 2, batchSize: 64, seed: 4 }).params]);
    const items = ensembleItemForward(tower, s.train.itemFeatures);
    const rng = new Rng(6);
    const pick = (n: number): number[] => Array.from({ length: n }, () => Math.floor(rng.next() * 80));
    const requests = Array.from({ length: 30 }, (_, u) => ({
      user: u,
      vector: s.userFeaturesByUser.slice(u * 4, (u + 1) * 4),
      recent: Int32Array.from(pick(1 + (u % 4))),
      exclude: new Set(pick(5)),
    }));
    const relevant = new Map(requests.map((q) => [q.user, new Set([...pick(3), 0, 1, 2].filter((i) => !q.exclude.has(i)))] as const));
    const prior = popularityPrior(
      Array.from({ length: 80 }, (_, i) => (i < 3 ? 300 : i % 5)),
      tower.members[0]!.config.temperature,
    );
    const first = tuneHistoryQuery({ tower, itemEmbeddings: items, requests, relevant });
    const joint = tuneHistoryQuery({ tower, itemEmbeddings: items, requests, relevant, prior });
    const got = tuneRetrievalQuery({ tower, itemEmbeddings: items, requests, relevant, prior });
    expect(got.best.decay).toBe(first.best.decay);
    // The second pass is the joint grid at that decay: the same scores, so the same choice among them.
    let best: QueryGridPoint | undefined,
      bestV = -1;
    for (const point of joint.grid) {
      // Weight 0 is scored under the first decay only; the second pass has it under the chosen one.
      if (point.decay !== first.best.decay && point.weight !== 0) continue;
      expect(ndcgAt(got.grid, { ...point, decay: first.best.decay })).toBeCloseTo(point.ndcg, 6);
      if (point.ndcg > bestV + 1e-12) {
        best = point;
        bestV = point.ndcg;
      }
    }
    expect(ndcgAt(got.grid, { ...got.best, popularityWeight: got.popularityWeight })).toBeCloseTo(bestV, 6);
    expect(bestV).toBeGreaterThanOrEqual(Math.max(...first.grid.map((g) => g.ndcg)) - 1e-9);
    expect(best).toBeDefined();
    // Without a prior it is the first pass.
    expect(tuneRetrievalQuery({ tower, itemEmbeddings: items, requests, relevant })).toEqual(first);
  });

  it('rides in an inner-product index as one more column: the index ranks by dot product + bias', () => {
    const rng = new Rng(9);
    const dim = 6,
      n = 50;
    const emb = rng.normalArray(n * dim, 1);
    const bias = retrievalBias(
      popularityPrior(
        Array.from({ length: n }, (_, i) => (i * 37) % 200),
        0.05,
      ),
      3,
    );
    const q = rng.normalArray(dim, 1);
    const vectors = withBiasColumn(emb, dim, bias);
    expect(vectors).toHaveLength(n * (dim + 1));
    const ids = Array.from({ length: n }, (_, i) => 1000 + i);
    const index = ExactItemIndex.build(ids, vectors, dim + 1, { metric: 'ip' });
    const got = index.search(withUnitColumn(q), 10);
    const want = Array.from(topK(addBias(scoreAll(emb, dim, q, 0, new Float64Array(n)), bias), 10, new Set()));
    expect(got.map((s) => s.itemId)).toEqual(want.map((i) => ids[i]));
    for (const s of got) {
      const i = (s.itemId as number) - 1000;
      let dot = bias[i]!;
      for (let f = 0; f < dim; f++) dot += emb[i * dim + f]! * q[f]!;
      expect(s.score).toBeCloseTo(dot, 4);
    }
  });

  it('travels with the registered two-tower; a bias that does not fit the items is left out with a note', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'frec-prior-'));
    try {
      const s = syntheticInteractions({ numUsers: 5, numItems: 6, n: 40, dUser: 4, dItem: 5, seed: 3 });
      const tower = trainTwoTower(s.train, { epochs: 1, seed: 1 }).params;
      const reg = new ModelRegistry(new LocalModelStore(dir));
      const enc = new TextEncoder();
      const bias = retrievalBias(popularityPrior([5, 0, 1, 9, 2, 0], 0.05), 0.75);
      const register = async (b: Float32Array) => {
        const m = await reg.register({
          name: 'two_tower',
          featureService: 'two_tower_v1',
          trainingData: { start: '2000-01-01T00:00:00Z', end: '2001-01-01T00:00:00Z' },
          params: twoTowerManifestParams(asEnsemble(tower), { history: { weight: 0, decay: 1 }, popularityWeight: 0.75 }),
          artifacts: [
            { path: 'params.json', data: enc.encode(serializeParams(tower)) },
            { path: 'ids.json', data: enc.encode(JSON.stringify({ userIds: [1, 2, 3, 4, 5], itemIds: [10, 11, 12, 13, 14, 15] })) },
            { path: 'item_bias.f32', data: new Uint8Array(b.buffer.slice(0)) },
          ],
        });
        await reg.promote('two_tower', m.version, { featureServiceExists: async () => true });
      };
      await register(bias);
      const ok = await loadProductionModels({ registry: dir });
      expect(Array.from(ok.twoTower!.itemBias!)).toEqual(Array.from(bias));
      expect(ok.notes.join('\n')).not.toMatch(/item_bias/);
      await register(bias.slice(0, 4));
      const short = await loadProductionModels({ registry: dir });
      expect(short.twoTower!.itemBias).toBeUndefined();
      expect(short.notes.join('\n')).toMatch(
        /two_tower@2: item_bias\.f32 has 4 values for 6 items; retrieving without the popularity prior/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
