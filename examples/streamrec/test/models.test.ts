import { describe, expect, it } from 'vitest';
import {
  DcnTrainer,
  deserializeParams,
  initDcn,
  initTwoTower,
  itemTowerForward,
  rankerPredict,
  serializeParams,
  trainRanker,
  trainTwoTower,
  TwoTowerTrainer,
  userTowerForward,
  dcnConfig,
  twoTowerConfig,
  type TwoTowerData,
  type DcnParams,
  type TwoTowerParams,
} from '../src/models/index.js';
import type { Slot } from '../src/nn/adam.js';
import { dot, matmulABt } from '../src/nn/linalg.js';
import { mulberry32, Rng } from '../src/nn/rng.js';
import { syntheticInteractions, syntheticRanking } from '../src/models/synthetic.js';

/**
 * Runs `loss(true)` once for the analytic gradients, then compares every entry with a central
 * finite difference of `loss(false)` (in float64); returns the worst relative error and the gradients.
 */
function gradCheck(slots: Slot[], loss: (grad: boolean) => number): { worst: number; analytic: Float64Array[] } {
  loss(true);
  const analytic = slots.map((s) => Float64Array.from(s.g));
  for (const s of slots) s.g.fill(0);
  let worst = 0;
  slots.forEach((s, si) => {
    for (let i = 0; i < s.p.length; i++) {
      const orig = s.p[i]!;
      s.p[i] = orig + 1e-3;
      const hi = s.p[i]!;
      const lp = loss(false);
      s.p[i] = orig - 1e-3;
      const lo = s.p[i]!;
      const lm = loss(false);
      s.p[i] = orig;
      const numeric = (lp - lm) / (hi - lo);
      const a = analytic[si]![i]!;
      const err = Math.abs(a - numeric) / Math.max(1e-2, Math.abs(a) + Math.abs(numeric));
      worst = Math.max(worst, err);
    }
  });
  return { worst, analytic };
}

function tinyTwoTowerData(): TwoTowerData {
  const rng = new Rng(5);
  const n = 6;
  return {
    numUsers: 4,
    numItems: 6,
    userIndex: Int32Array.from([0, 1, 2, 3, 1, 0]),
    // Items 2 appears twice: the in-batch duplicate must be masked, not treated as a negative.
    itemIndex: Int32Array.from([2, 0, 2, 5, 4, 1]),
    dUser: 3,
    userFeatures: rng.normalArray(n * 3, 1),
    dItem: 2,
    itemFeatures: rng.normalArray(6 * 2, 1),
    weight: Float32Array.from([1, 2, 0.5, 1, 1, 3]),
  };
}

describe('dense kernels', () => {
  it('matmulABt gives the same bits as one dot product per element, overwriting or accumulating', () => {
    const rand = mulberry32(5);
    for (const [n, m, k] of [
      [7, 9, 13],
      [4, 2, 32],
      [3, 5, 3],
      [1, 1, 1],
      [6, 8, 64],
    ] as const) {
      const a = Float64Array.from({ length: n * k }, () => rand() - 0.5);
      const b = Float32Array.from({ length: m * k }, () => rand() - 0.5);
      const c0 = Float64Array.from({ length: n * m }, () => rand());
      const got = c0.slice(),
        acc = c0.slice();
      matmulABt(a, b, n, m, k, got);
      matmulABt(a, b, n, m, k, acc, true);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < m; j++) {
          const want = dot(a, i * k, b, j * k, k);
          expect(Object.is(got[i * m + j], want)).toBe(true);
          expect(Object.is(acc[i * m + j], c0[i * m + j]! + want)).toBe(true);
        }
      }
    }
  });
});

describe('seeded generator', () => {
  it('is one mulberry32: the function form draws what Rng draws, the same sequence as before it was shared', () => {
    const rand = mulberry32(42);
    const rng = new Rng(42);
    for (let i = 0; i < 1000; i++) expect(Object.is(rand(), rng.next())).toBe(true);
    // The first draws at seed 42, as the baselines and the evaluation drew them from @frec/core's seededRandom.
    const fresh = mulberry32(42);
    expect([fresh(), fresh(), fresh()]).toEqual([0.6011037519201636, 0.44829055899754167, 0.8524657934904099]);
  });
});

describe('two-tower', () => {
  // A trainer over the tiny data, every example in one batch, users by their own rows.
  const tinyTrainer = (seed: number) => {
    const data = tinyTwoTowerData();
    const params = initTwoTower(data, twoTowerConfig({ embeddingDim: 3, hidden: [5], outputDim: 4, temperature: 0.5, seed }));
    return {
      data,
      trainer: new TwoTowerTrainer(params, data, 6),
      examples: Int32Array.from([0, 1, 2, 3, 4, 5]),
      ids: Int32Array.from(data.userIndex),
    };
  };

  it('analytic gradients match finite differences (sampled softmax, log-Q, duplicates masked, weights)', () => {
    const { data, trainer, examples, ids } = tinyTrainer(1);
    ids[3] = data.numUsers; // the out-of-vocabulary row gets gradients too
    const { worst, analytic } = gradCheck(trainer.slots(), (grad) => trainer.loss(examples, ids, grad));
    expect(worst).toBeLessThan(1e-3);
    expect(analytic.some((g) => g.some((v) => v !== 0))).toBe(true);
  });

  it('gradients still match finite differences when the query adds fixed recent-item terms', () => {
    const { trainer, examples, ids } = tinyTrainer(2);
    const terms = new Rng(9).normalArray(6 * 4, 0.2);
    const plain = trainer.loss(examples, ids, false);
    expect(trainer.loss(examples, ids, false, terms)).not.toBeCloseTo(plain, 6);
    expect(gradCheck(trainer.slots(), (grad) => trainer.loss(examples, ids, grad, terms)).worst).toBeLessThan(1e-3);
  });

  it('trains with recent items in the query: same seed, same parameters; weight 0 equals plain training', () => {
    const data = tinyTwoTowerData();
    const withRecent = { ...data, recentItems: [[1], [2, 3], [], [0], [5, 4], [3]].map((a) => Int32Array.from(a)) };
    const cfg = { embeddingDim: 3, hidden: [5], outputDim: 4, epochs: 3, batchSize: 6, seed: 3 };
    const a = trainTwoTower(withRecent, cfg, { history: { weight: 1, decay: 0.5 } }).params;
    const b = trainTwoTower(withRecent, cfg, { history: { weight: 1, decay: 0.5 } }).params;
    const plain = trainTwoTower(data, cfg).params;
    const off = trainTwoTower(withRecent, cfg, { history: { weight: 0, decay: 0.5 } }).params;
    expect(Array.from(a.userEmbedding)).toEqual(Array.from(b.userEmbedding));
    expect(Array.from(off.userEmbedding)).toEqual(Array.from(plain.userEmbedding));
    expect(Array.from(a.userEmbedding)).not.toEqual(Array.from(plain.userEmbedding));
  });

  it('learns the planted structure: recall@20 on held-out pairs well above popularity', () => {
    const s = syntheticInteractions({ numUsers: 80, numItems: 200, n: 3000, dUser: 6, dItem: 8, seed: 3 });
    const progress: number[] = [];
    const { params, history } = trainTwoTower(
      s.train,
      { epochs: 4, batchSize: 128, embeddingDim: 16, hidden: [32], outputDim: 16 },
      { onBatch: (p) => p.epoch === 1 && progress.push(p.done) },
    );
    expect(history).toHaveLength(4);
    expect(progress.at(-1)).toBe(3000);
    expect(progress[0]).toBe(128);
    expect(history[3]!.loss).toBeLessThan(history[0]!.loss);
    const items = itemTowerForward(params, s.train.itemFeatures);
    const feats = new Float32Array(s.testUser.length * 6);
    s.testUser.forEach((u, i) => feats.set(s.userFeaturesByUser.subarray(u * 6, u * 6 + 6), i * 6));
    const users = userTowerForward(params, s.testUser, feats);
    const o = params.config.outputDim;
    // Embeddings are unit vectors.
    let norm = 0;
    for (let k = 0; k < o; k++) norm += items[k]! * items[k]!;
    expect(norm).toBeCloseTo(1, 5);
    const pop = new Float64Array(200);
    s.train.itemIndex.forEach((it) => (pop[it] = pop[it]! + 1));
    const popTop = new Set([...pop.keys()].sort((a, b) => pop[b]! - pop[a]!).slice(0, 20));
    let hits = 0;
    let popHits = 0;
    s.testUser.forEach((_, i) => {
      const scores = Array.from({ length: 200 }, (_, j) => {
        let d = 0;
        for (let k = 0; k < o; k++) d += users[i * o + k]! * items[j * o + k]!;
        return d;
      });
      const top = new Set([...scores.keys()].sort((a, b) => scores[b]! - scores[a]!).slice(0, 20));
      if (top.has(s.testItem[i]!)) hits++;
      if (popTop.has(s.testItem[i]!)) popHits++;
    });
    expect(hits / s.testUser.length).toBeGreaterThan(1.3 * (popHits / s.testUser.length));
  });

  it('is reproducible: same seed gives identical weights, another seed does not', () => {
    const data = tinyTwoTowerData();
    const cfg = { embeddingDim: 4, hidden: [4], outputDim: 4, epochs: 2, batchSize: 3 };
    const a = trainTwoTower(data, cfg).params;
    const b = trainTwoTower(data, cfg).params;
    const c = trainTwoTower(data, { ...cfg, seed: 43 }).params;
    expect(Buffer.from(a.userMlp[0]!.w.buffer).equals(Buffer.from(b.userMlp[0]!.w.buffer))).toBe(true);
    expect(Buffer.from(a.itemEmbedding.buffer).equals(Buffer.from(b.itemEmbedding.buffer))).toBe(true);
    expect(Buffer.from(a.itemEmbedding.buffer).equals(Buffer.from(c.itemEmbedding.buffer))).toBe(false);
  });

  it('serves unknown users from the out-of-vocabulary row and round-trips through serialization', () => {
    const data = tinyTwoTowerData();
    const { params } = trainTwoTower(data, { embeddingDim: 4, hidden: [4], outputDim: 4, epochs: 1, batchSize: 3 });
    const f = Float32Array.from([0.1, 0.2, 0.3, 0.1, 0.2, 0.3]);
    const v = userTowerForward(params, Int32Array.from([-1, data.numUsers]), f);
    expect(Array.from(v.subarray(0, 4))).toEqual(Array.from(v.subarray(4, 8)));
    const back = deserializeParams<TwoTowerParams>(serializeParams(params));
    expect(back.userEmbedding).toBeInstanceOf(Float32Array);
    expect(Array.from(userTowerForward(back, Int32Array.from([1]), f.subarray(0, 3)))).toEqual(
      Array.from(userTowerForward(params, Int32Array.from([1]), f.subarray(0, 3))),
    );
  });

  it('rejects malformed data with a ModelInputError naming the field', () => {
    const bad =
      (patch: Partial<TwoTowerData>): (() => unknown) =>
      () =>
        trainTwoTower({ ...tinyTwoTowerData(), ...patch }, { epochs: 1 });
    expect(bad({ itemIndex: Int32Array.from([0, 1]) })).toThrow(/itemIndex has 2 values but 6 were expected/);
    expect(bad({ userIndex: Int32Array.from([0, 1, 2, 9, 1, 0]) })).toThrow(/userIndex\[3\] = 9 is outside \[0, 4\)/);
    const nan = tinyTwoTowerData().userFeatures;
    nan[4] = Number.NaN;
    expect(bad({ userFeatures: nan })).toThrow(/userFeatures holds NaN at row 1, column 1/);
    expect(bad({ itemFeatures: new Float32Array(5) })).toThrow(/numItems x dItem/);
    try {
      bad({ itemIndex: Int32Array.from([0]) })();
    } catch (e) {
      expect((e as { code: string }).code).toBe('INVALID_REQUEST');
      expect((e as { name: string }).name).toBe('ModelInputError');
    }
  });
});

describe('DCN-V2 ranker', () => {
  it('analytic gradients match finite differences (cross layers, deep tower, weighted BCE)', () => {
    const data = syntheticRanking(7, 4, 2);
    data.weight = Float32Array.from([1, 2, 1, 0.5, 1, 1, 2]);
    const params = initDcn(data, dcnConfig({ crossLayers: 2, hidden: [5, 3], seed: 4 }));
    // Non-zero biases so their gradients are exercised away from the init point.
    params.cross[0]!.b.fill(0.1);
    const trainer = new DcnTrainer(params, 7);
    expect(gradCheck(trainer.slots(), (grad) => trainer.loss(data, 0, 7, grad)).worst).toBeLessThan(1e-3);
  });

  it('listwise: analytic gradients match finite differences, and a shift shared by a request changes nothing', () => {
    const data = { ...syntheticRanking(9, 4, 5), group: Int32Array.from([0, 0, 0, 1, 1, 2, 2, 2, 2]) };
    data.y = Float32Array.from([1, 0, 0, 0, 1, 1, 0, 1, 0]);
    const params = initDcn(data, dcnConfig({ crossLayers: 2, hidden: [5, 3], seed: 6 }));
    params.cross[0]!.b.fill(0.1);
    const trainer = new DcnTrainer(params, 9);
    const rows = Int32Array.from({ length: 9 }, (_, i) => i);
    const starts = Int32Array.of(0, 3, 5);
    expect(gradCheck(trainer.slots(), (grad) => trainer.listLoss(data, rows, 9, starts, grad)).worst).toBeLessThan(1e-3);
    // Softmax within a request: moving every logit by the same amount (the head's bias) leaves the loss as it was.
    const before = trainer.listLoss(data, rows, 9, starts, false);
    params.head.b[0] = params.head.b[0]! + 3;
    expect(trainer.listLoss(data, rows, 9, starts, false)).toBeCloseTo(before, 9);
  });

  it('listwise: learns to order each request\u2019s rows by what differs between them', () => {
    // Requests of 5 rows; the positive is the row with the largest x[1] - x[2], whatever x[0] (the "user") is.
    const rng = new Rng(21);
    const make = (requests: number) => {
      const d = 4,
        n = requests * 5;
      const x = rng.normalArray(n * d, 1);
      const y = new Float32Array(n);
      const group = new Int32Array(n);
      for (let g = 0; g < requests; g++) {
        let best = g * 5;
        for (let r = g * 5; r < g * 5 + 5; r++) {
          group[r] = g;
          x[r * d] = x[g * 5 * d]!; // shared by the request
          if (x[r * d + 1]! - x[r * d + 2]! > x[best * d + 1]! - x[best * d + 2]!) best = r;
        }
        y[best] = 1;
      }
      return { n, d, x, y, group };
    };
    const train = make(1500),
      test = make(400);
    const { params } = trainRanker(train, { epochs: 3, seed: 2 });
    const p = rankerPredict(params, test.x);
    let top1 = 0;
    for (let g = 0; g < 400; g++) {
      let arg = g * 5;
      for (let r = g * 5; r < g * 5 + 5; r++) if (p[r]! > p[arg]!) arg = r;
      top1 += test.y[arg]!;
    }
    // Chance is 1 in 5.
    expect(top1 / 400).toBeGreaterThan(0.8);
    expect(() => trainRanker({ ...train, group: new Int32Array(3) })).toThrow(/group has 3 values/);
  });

  it('learns feature crosses: held-out log loss well below the base rate', () => {
    const train = syntheticRanking(6000, 8, 11);
    const test = syntheticRanking(2000, 8, 12);
    const { params } = trainRanker(train, { epochs: 4 });
    const p = rankerPredict(params, test.x);
    const base = test.y.reduce((a, b) => a + b, 0) / test.n;
    let ll = 0;
    let llBase = 0;
    for (let i = 0; i < test.n; i++) {
      ll -= test.y[i] ? Math.log(p[i]!) : Math.log(1 - p[i]!);
      llBase -= test.y[i] ? Math.log(base) : Math.log(1 - base);
    }
    expect(ll / test.n).toBeLessThan(0.85 * (llBase / test.n));
  });

  it('is reproducible and round-trips through serialization', () => {
    const data = syntheticRanking(300, 5, 3);
    const a = trainRanker(data, { epochs: 1, batchSize: 64 }).params;
    const b = trainRanker(data, { epochs: 1, batchSize: 64 }).params;
    expect(Array.from(rankerPredict(a, data.x))).toEqual(Array.from(rankerPredict(b, data.x)));
    const back = deserializeParams<DcnParams>(serializeParams(a));
    expect(Array.from(rankerPredict(back, data.x))).toEqual(Array.from(rankerPredict(a, data.x)));
  });

  it('rejects malformed data with a ModelInputError naming the field', () => {
    const data = syntheticRanking(10, 3, 3);
    expect(() => trainRanker({ ...data, y: new Float32Array(10).fill(2) })).toThrow(/y\[0\] = 2; labels must be 0 or 1/);
    expect(() => trainRanker({ ...data, x: new Float32Array(7) })).toThrow(/x has 7 values but 30 were expected/);
    expect(() => trainRanker({ ...data, featureNames: ['a'] })).toThrow(/featureNames has 1 names for d=3/);
    const inf = Float32Array.from(data.x);
    inf[5] = Infinity;
    expect(() => trainRanker({ ...data, x: inf })).toThrow(/x holds Infinity at row 1, column 2/);
  });
});
