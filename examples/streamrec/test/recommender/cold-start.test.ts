import { describe, expect, it } from 'vitest';
import { BayesianPreference, fitPopulationPrior } from '../../src/recommender/cold-start/bayesian-preference.js';
import { ColdStartModel } from '../../src/recommender/cold-start/cold-start-ranker.js';
import { svdItemEmbeddings } from '../../src/recommender/cold-start/item-embeddings.js';
import { choleskySolve } from '../../src/nn/linalg.js';
import { topK } from '@frec/model-serving/item-index';
import { Recommender } from '../../src/recommender/recommender.js';
import { RetrievalScoreRanker } from '@frec/model-serving/ranking';
import { recommenderOptions, rng, syntheticWorld } from './helpers/fixture.js';
import { movieLensHistories } from './helpers/movielens.js';

describe('Bayesian linear regression', () => {
  it('matches the closed-form posterior mean (prior precision + X^T X / s2)^-1 (prior precision mu0 + X^T y / s2)', () => {
    const rand = rng(2);
    const d = 3;
    const prior = { mean: Float64Array.from([0.5, -1, 0]), variance: Float64Array.from([2, 1, 0.5]) };
    const m = new BayesianPreference(prior, 0.7);
    const xs = Array.from({ length: 6 }, () => Array.from({ length: d }, () => rand() - 0.5));
    const ys = xs.map(() => rand());
    xs.forEach((x, i) => m.update(x, ys[i]!));
    const a = new Float64Array(d * d);
    const b = new Float64Array(d);
    for (let j = 0; j < d; j++) {
      a[j * d + j] = 1 / prior.variance[j]!;
      b[j] = prior.mean[j]! / prior.variance[j]!;
    }
    xs.forEach((x, i) => {
      for (let p = 0; p < d; p++) {
        b[p]! += (x[p]! * ys[i]!) / 0.7;
        for (let q = 0; q < d; q++) a[p * d + q]! += (x[p]! * x[q]!) / 0.7;
      }
    });
    const expected = choleskySolve(a, b, d);
    // Check A x = b independently of the solver.
    for (let p = 0; p < d; p++) expect(a.subarray(p * d, p * d + d).reduce((s, v, q) => s + v * expected[q]!, 0)).toBeCloseTo(b[p]!, 9);
    Array.from(m.mean()).forEach((v, j) => expect(v).toBeCloseTo(expected[j]!, 9));
    expect(m.count).toBe(6);
  });
});

describe('cold start on MovieLens held-out users', () => {
  // Users split by a seeded shuffle; embeddings and the population prior come from training users only.
  const hist = movieLensHistories();
  const rand = rng(29);
  const users = [...hist.keys()]
    .map((u) => [u, rand()] as const)
    .sort((a, b) => a[1] - b[1])
    .map((x) => x[0]);
  const nTest = Math.floor(users.length * 0.25);
  const heldOut = users.slice(0, nTest);
  const train = users.slice(nTest);
  const emb = svdItemEmbeddings(
    train.map((u) => hist.get(u)!),
    { dim: 24, seed: 1 },
  );
  const row = new Map(emb.ids.map((id, r) => [id, r]));
  const prior = fitPopulationPrior({
    embeddings: emb.embeddings,
    dim: emb.dim,
    users: train.map((u) => hist.get(u)!.map((m) => row.get(m)!)),
  });
  const popularity = new Float32Array(emb.ids.length);
  for (const u of train) for (const m of hist.get(u)!) popularity[row.get(m)!]!++;

  /** Precision@20 on each held-out user's next 20 items after revealing their first `n`. */
  function evaluate(n: number) {
    const model = new ColdStartModel({ prior, embeddings: emb.embeddings, ids: emb.ids });
    let blr = 0;
    let pop = 0;
    let count = 0;
    for (const u of heldOut) {
      const h = hist.get(u)!;
      if (h.length < n + 20) continue;
      const revealed = h.slice(0, n);
      const target = new Set(h.slice(n, n + 20));
      for (const m of revealed) model.observe(u, m);
      expect(model.model(u).count).toBe(revealed.filter((m) => row.has(m)).length);
      const exclude = new Set(revealed.map((m) => row.get(m)));
      const hits = (scores: Float32Array) =>
        topK(scores, 20, (i) => exclude.has(i)).filter((i) => target.has(emb.ids[i] as number)).length / 20;
      blr += hits(model.score(u, emb.ids));
      pop += hits(popularity);
      count++;
    }
    return { users: count, blr: blr / count, popularity: pop / count };
  }

  it('with no interactions it ranks like the population (close to popularity)', () => {
    const r = evaluate(0);
    console.log('cold start, 0 interactions', r);
    expect(r.blr).toBeGreaterThan(r.popularity * 0.8);
  });

  for (const n of [3, 5]) {
    it(`personalizes after ${n} interactions: beats popularity on the next 20 items`, () => {
      const r = evaluate(n);
      console.log(`cold start, ${n} interactions`, r);
      expect(r.users).toBeGreaterThan(100);
      expect(r.blr).toBeGreaterThan(r.popularity * 1.15);
    });
  }
});

describe('cold start in the request path', () => {
  it('users under the threshold are ranked by their own model, which follows their interactions', async () => {
    const world = syntheticWorld(3);
    const ids = world.items.map((i) => i.id);
    const emb = svdItemEmbeddings(world.histories, { dim: 8, seed: 1 });
    const row = new Map(emb.ids.map((id, r) => [id, r]));
    const prior = fitPopulationPrior({
      embeddings: emb.embeddings,
      dim: emb.dim,
      users: world.histories.map((h) => h.map((m) => row.get(m)!)),
    });
    const coldStart = new ColdStartModel({ prior, embeddings: emb.embeddings, ids: emb.ids, threshold: 5 });
    const base = recommenderOptions(world, new RetrievalScoreRanker(), { coldStart });
    const rec = new Recommender({
      ...base,
      features: async () => ({ vector: new Float32Array(3), recentItems: [], interactionCount: 2, stale: false }),
    });
    const before = await rec.recommend({ userId: 'new-user', count: 10 });
    expect(before.modelVersions.ranker).toBe('cold-start-blr');
    expect(before.degradationLevel).toBe('FULL');
    for (const m of world.histories[0]!.slice(0, 4)) coldStart.observe('new-user', m);
    const after = await rec.recommend({ userId: 'new-user', count: 10 });
    expect(after.items.map((i) => i.itemId)).not.toEqual(before.items.map((i) => i.itemId));
    expect(ids.length).toBe(1000);
  });
});
