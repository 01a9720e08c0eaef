import { describe, expect, it } from 'vitest';
import { ndcgAtK, recallAtK, topK } from '../src/eval/metrics.js';
import { evaluate, formatComparisons, pairedBootstrap, rankByScores } from '../src/eval/evaluate.js';
import { ASK_BEFORE_MS, globalTimeSplit, perUserTemporalSplit, seenItems, type Split } from '../src/eval/protocols.js';
import { allTimePopularity, recentPopularity } from '../src/baselines/popularity.js';
import { bprScores, trainBpr } from '../src/baselines/bpr-mf.js';
import { mulberry32 } from '../src/nn/rng.js';
import type { Interactions } from '../src/data/interactions.js';
import { interactionsOf } from './fixtures.js';

/** Seeded synthetic data with two taste groups: users 0..9 like items 0..19, users 10..19 like items 20..39. */
function clustered(seed = 1): Interactions {
  const rand = mulberry32(seed);
  const ev: Array<[number, number, number]> = [];
  for (let u = 0; u < 20; u++) {
    const base = u < 10 ? 0 : 20;
    const picked = new Set<number>();
    while (picked.size < 12) picked.add(base + Math.floor(rand() * 20));
    let t = 1_000_000 + u * 1000;
    for (const i of picked) ev.push([u, i, (t += 3_600_000)]);
  }
  return interactionsOf(ev, 20, 40);
}

describe('metrics', () => {
  it('computes Recall@k and NDCG@k with binary relevance', () => {
    const rel = new Set([3, 7]);
    expect(recallAtK([3, 1, 7], rel, 2)).toBe(0.5);
    expect(recallAtK([3, 1, 7], rel, 3)).toBe(1);
    expect(ndcgAtK([3, 7, 1], rel, 3)).toBeCloseTo(1, 12);
    expect(ndcgAtK([1, 3, 7], rel, 3)).toBeCloseTo((1 / Math.log2(3) + 1 / Math.log2(4)) / (1 + 1 / Math.log2(3)), 12);
    expect(ndcgAtK([1, 2], rel, 2)).toBe(0);
  });

  it('takes the top k with exclusions and index tie-breaks', () => {
    const s = Float32Array.from([0.1, 0.9, 0.5, 0.9, 0.3]);
    expect([...topK(s, 3)]).toEqual([1, 3, 2]);
    expect([...topK(s, 3, new Set([1]))]).toEqual([3, 2, 4]);
    expect([...topK(s, 10)]).toEqual([1, 3, 2, 4, 0]);
  });

  it('matches a full sort with exclusions and ties, and tests exclusion only for items that would enter the top k', () => {
    const rng = mulberry32(5);
    for (const [n, k] of [
      [2000, 50],
      [300, 300],
      [50, 7],
    ] as const) {
      // Scores from 20 levels, so ties are everywhere.
      const s = Float32Array.from({ length: n }, () => Math.floor(rng() * 20) / 20);
      const excluded = new Set(Array.from({ length: n / 4 }, () => Math.floor(rng() * n)));
      let calls = 0;
      const exclude = { has: (i: number) => (calls++, excluded.has(i)) };
      const want = Array.from({ length: n }, (_, i) => i)
        .filter((i) => !excluded.has(i))
        .sort((a, b) => s[b]! - s[a]! || a - b)
        .slice(0, k);
      expect([...topK(s, k, exclude)]).toEqual(want);
      if (k < n / 10) expect(calls).toBeLessThan(n / 2);
    }
  });
});

describe('protocols', () => {
  const data = clustered();
  it('global split: all training before the cutoff, test after, cold users not evaluated', () => {
    const split = globalTimeSplit(data, 0.3);
    const asked = [...split.evalTimeMs.values()][0]!;
    for (const e of split.train) expect(data.timeMs[e]).toBeLessThan(asked + ASK_BEFORE_MS);
    for (let i = 0; i < data.n; i++) if (split.test.get(data.user[i]!)?.has(data.item[i]!)) expect(data.timeMs[i]).toBeGreaterThan(asked);
    const seen = seenItems(data, split);
    for (const [u, items] of split.test) {
      expect(seen.has(u)).toBe(true);
      for (const i of items) expect(seen.get(u)!.has(i)).toBe(false);
    }
  });

  it("per-user split: each user's last 20% by time are held out", () => {
    const split = perUserTemporalSplit(data);
    expect(split.test.size).toBe(20);
    for (const [u, items] of split.test) {
      expect(items.size).toBe(3); // ceil(12 * 0.2)
      const lastTrain = Math.max(...[...split.train].filter((e) => data.user[e] === u).map((e) => data.timeMs[e]!));
      expect(split.evalTimeMs.get(u)!).toBeGreaterThan(lastTrain);
    }
  });
});

describe('baselines', () => {
  const data = clustered();
  const split = perUserTemporalSplit(data);
  const seen = seenItems(data, split);

  it('popularity counts training events (recent: only inside the window)', () => {
    const pop = allTimePopularity(data, split.train);
    expect(pop.reduce((a, b) => a + b, 0)).toBe(split.train.length);
    const at = data.timeMs[split.train[split.train.length - 1]!]! + 1;
    const recent = recentPopularity(data, split.train, at, 1 / 24);
    const inWindow = [...split.train].filter((e) => data.timeMs[e]! >= at - 3_600_000 && data.timeMs[e]! < at);
    expect(inWindow.length).toBeGreaterThan(0);
    expect(inWindow.length).toBeLessThan(split.train.length);
    expect(recent.reduce((a, b) => a + b, 0)).toBe(inWindow.length);
  });

  it('BPR is reproducible for a seed and learns the taste groups far better than popularity', () => {
    const a = trainBpr(data, split.train, { epochs: 30, factors: 8, seed: 3 });
    const b = trainBpr(data, split.train, { epochs: 30, factors: 8, seed: 3 });
    expect(a.userFactors).toEqual(b.userFactors);
    const mf = evaluate(
      'bpr',
      split,
      seen,
      rankByScores((u) => bprScores(a, u)),
    );
    const pop = allTimePopularity(data, split.train);
    const base = evaluate(
      'pop',
      split,
      seen,
      rankByScores(() => pop),
    );
    expect(mf.users).toBe(20);
    // In-group items should outrank the other group's: with 8 unseen in-group items, Recall@20 approaches 1.
    expect(mf.recall20).toBeGreaterThan(0.9);
    expect(mf.ndcg20).toBeGreaterThan(base.ndcg20);
  });
});

describe('paired bootstrap over users', () => {
  const split = (n: number) =>
    ({
      protocol: 'per_user_temporal' as const,
      test: new Map(Array.from({ length: n }, (_, u) => [u, new Set([u])])),
      evalTimeMs: new Map(Array.from({ length: n }, (_, u) => [u, 0])),
    }) as unknown as Split;

  it('gives an interval around the mean difference that excludes 0 only when the gap is consistent', () => {
    const s = split(200);
    const seen = new Map<number, Set<number>>();
    // "good" puts the relevant item first for every user; "half" for even users only; "none" never.
    const good = evaluate('good', s, seen, (u) => Int32Array.of(u));
    const half = evaluate('half', s, seen, (u) => (u % 2 === 0 ? Int32Array.of(u) : Int32Array.of(-1)));
    const none = evaluate('none', s, seen, () => Int32Array.of(-1));
    const gh = pairedBootstrap(good, half);
    expect(gh.diff).toBeCloseTo(0.5, 6);
    expect(gh.diffLo).toBeGreaterThan(0.35);
    expect(gh.diffHi).toBeLessThan(0.65);
    expect(gh.ratio).toBeCloseTo(2, 6);
    const same = pairedBootstrap(half, half);
    expect([same.diffLo, same.diffHi]).toEqual([0, 0]);
    expect(() => pairedBootstrap(half, { ...none, perUserNdcg20: undefined })).toThrow(/per-user/);
    expect(
      formatComparisons(
        [
          { ...half, model: 'bpr_mf' },
          { ...good, model: 'two_tower+dcn_v2' },
        ].map((r, i) => Object.defineProperty(r, 'perUserNdcg20', { value: [half, good][i]!.perUserNdcg20, enumerable: false })),
      ),
    ).toContain('+0.5000');
  });
});
