import { describe, expect, it } from 'vitest';
import {
  BLEND_GRID,
  blendRank,
  OfflineCandidates,
  sampleRankerExamples,
  tuneBlend,
  type ScoredRequest,
} from '../src/pipeline/two-stage/index.js';
import { evaluate, type RankFn } from '../src/eval/evaluate.js';
import { topK } from '../src/eval/metrics.js';
import { allowedItems, excludeAt, itemFirstSeenMs } from '../src/eval/catalog-at.js';
import { ensembleItemForward, towerEnsemble, trainTwoTower } from '../src/models/index.js';
import { D_USER } from '../src/training-sets/build-training-sets.js';
import { globalTimeSplit, maxOverlapTestFraction, perUserTemporalSplit, rankerHoldout } from '../src/eval/protocols.js';
import { validationSlice } from '../src/eval/validation.js';
import { mulberry32 } from '../src/nn/rng.js';
import type { Interactions } from '../src/data/interactions.js';
import { interactionsOf } from './fixtures.js';

const DAY = 86_400_000;

/** Seeded events over 60 days: 30 users, 50 items, item 0 most popular early, item 1 late. */
function events(seed = 7): Interactions {
  const rand = mulberry32(seed);
  const ev: Array<[number, number, number]> = [];
  for (let u = 0; u < 30; u++) {
    const picked = new Set<number>();
    while (picked.size < 15) picked.add(2 + Math.floor(rand() * 48));
    let t = 10 * DAY + u * 3_600_000;
    for (const i of picked) ev.push([u, i, (t += 3 * 3_600_000)]);
    ev.push([u, 0, 5 * DAY + u * 1000]);
    ev.push([u, 1, 50 * DAY + u * 1000]);
  }
  return interactionsOf(ev, 30, 50);
}

describe('offline candidate sources', () => {
  const data = events();
  const train = Int32Array.from({ length: data.n }, (_, i) => i);

  it('returns the two-tower top items first, then trending and popular ones, deduplicated and never excluded', () => {
    const src = new OfflineCandidates(data, train, { twoTower: 3, trending: 2, popular: 2, coOccurrence: 0 });
    const scores = Float32Array.from({ length: 50 }, (_, i) => (i >= 40 ? 100 - i : 0));
    const c = src.candidates(scores, 60 * DAY, new Set([40]));
    expect([...c.subarray(0, 3)]).toEqual([41, 42, 43]);
    expect(new Set(c).size).toBe(c.length);
    expect(c).not.toContain(40);
    // Items 0 and 1 were watched by all 30 users: both are the all-time most popular.
    expect(c).toContain(0);
    expect(c).toContain(1);
  });

  it('counts trending items only from days before the request, so a request never sees its own day', () => {
    const src = new OfflineCandidates(data, train, { twoTower: 1, trending: 1, popular: 0, coOccurrence: 0 });
    const zeros = new Float32Array(50);
    zeros[49] = 1;
    // On day 50 item 1 is watched by everyone, but that day is not yet counted at 50 d + 12 h.
    expect([...src.candidates(zeros, 50 * DAY + 12 * 3_600_000, undefined)]).not.toContain(1);
    expect([...src.candidates(zeros, 52 * DAY, undefined)]).toEqual([49, 1]);
  });
});

describe('the catalog at request time (ADR 0076)', () => {
  const data = events();
  const firstSeen = itemFirstSeenMs(data);
  const train = Int32Array.from({ length: data.n }, (_, i) => i);

  it('an item enters the catalog with its first event; one nobody rated never does', () => {
    expect(firstSeen[0]).toBe(5 * DAY);
    // Item 1 is first watched on day 50 (user 0), although all 30 users watch it.
    expect(firstSeen[1]).toBe(50 * DAY);
    const few = interactionsOf(
      [
        [0, 2, 7],
        [1, 2, 3],
        [0, 0, 9],
      ],
      2,
      4,
    );
    expect([...itemFirstSeenMs(few)]).toEqual([9, Infinity, 3, Infinity]);
    expect(itemFirstSeenMs(data)).toBe(firstSeen);
    const ex = excludeAt(itemFirstSeenMs(few), 5, new Set([0]));
    expect([0, 1, 2, 3].map((i) => ex.has(i))).toEqual([true, true, false, true]);
    expect(excludeAt(itemFirstSeenMs(few), 3).has(2)).toBe(false);
    // Evaluated once into the items it leaves (query tuning), in item order.
    expect(Array.from(allowedItems(ex, 4))).toEqual([2]);
    expect(Array.from(allowedItems(new Set([1]), 4))).toEqual([0, 2, 3]);
  });

  it('no candidate source hands out an item before its first event', () => {
    const src = new OfflineCandidates(data, train, { twoTower: 3, trending: 2, popular: 3, coOccurrence: 0 });
    const scores = new Float32Array(50);
    scores[1] = 10;
    // Item 1 has the best retrieval score and the most events of all, but it is not in the catalog on day 40.
    expect([...src.candidates(scores, 40 * DAY, undefined)]).not.toContain(1);
    expect(src.candidates(scores, 51 * DAY, undefined)[0]).toBe(1);
    // Without the first-seen times, every item is offered at any time.
    const anyTime = new OfflineCandidates(data, train, { twoTower: 3, trending: 2, popular: 3, coOccurrence: 0 }, null);
    expect(anyTime.candidates(scores, 40 * DAY, undefined)[0]).toBe(1);
  });

  it('evaluation ranks only items already in the catalog at each request', () => {
    const split = globalTimeSplit(data, 0.5);
    const asked = [...split.evalTimeMs.values()][0]!;
    expect(asked).toBeLessThan(50 * DAY);
    const scores = Float32Array.from({ length: 50 }, (_, i) => (i === 1 ? 100 : 50 - i));
    const ranked: Int32Array[] = [];
    const rank: RankFn = (_u, _at, k, exclude) => {
      const r = topK(scores, k, exclude);
      ranked.push(r);
      return r;
    };
    const withRule = evaluate('m', split, new Map(), rank);
    expect(ranked.some((r) => r.includes(1))).toBe(false);
    ranked.length = 0;
    // Without the rule, item 1 (watched by every user after the cutoff) would top every list.
    const withoutRule = evaluate('m', { ...split, itemFirstSeenMs: undefined }, new Map(), rank);
    expect(ranked.every((r) => r[0] === 1)).toBe(true);
    expect(withoutRule.ndcg20).toBeGreaterThan(withRule.ndcg20);
  });

  it('ranker examples, positives and negatives, only use items in the catalog at their moment', () => {
    const n = data.n;
    const tt = {
      numUsers: 30,
      numItems: 50,
      userIndex: data.user,
      itemIndex: data.item,
      dUser: D_USER,
      userFeatures: new Float32Array(n * D_USER),
      dItem: 1,
      itemFeatures: new Float32Array(50),
    };
    const tower = towerEnsemble([
      trainTwoTower(tt, { epochs: 1, batchSize: 32, embeddingDim: 4, hidden: [8], outputDim: 4, seed: 1 }).params,
    ]);
    const examples = sampleRankerExamples({
      data,
      train,
      userFeatures: tt.userFeatures,
      params: tower,
      itemEmbeddings: ensembleItemForward(tower, tt.itemFeatures),
      from: train,
      positives: n,
      negatives: 8,
      sources: new OfflineCandidates(data, train, { twoTower: 5, trending: 3, popular: 5, coOccurrence: 0 }),
      lookupOffsetMs: 1000,
      seed: 3,
    });
    expect(examples.filter((x) => x.atMs < 50 * DAY).length).toBeGreaterThan(1000);
    expect(examples.some((x) => x.item === 1 && x.label === 1)).toBe(true);
    for (const x of examples) expect(firstSeen[x.item]!).toBeLessThanOrEqual(x.atMs);
    // 'pool': each request is its positive then every other candidate of its pool, once each.
    const sources = new OfflineCandidates(data, train, { twoTower: 5, trending: 3, popular: 5, coOccurrence: 0 });
    const pooled = sampleRankerExamples({
      data,
      train,
      userFeatures: tt.userFeatures,
      params: tower,
      itemEmbeddings: ensembleItemForward(tower, tt.itemFeatures),
      from: train.subarray(0, 200),
      positives: 200,
      negatives: 'pool',
      sources,
      lookupOffsetMs: 1000,
      seed: 3,
    });
    const requests: (typeof pooled)[] = [];
    for (const x of pooled) {
      if (x.label === 1) requests.push([x]);
      else requests[requests.length - 1]!.push(x);
    }
    expect(requests.length).toBeGreaterThan(10);
    for (const r of requests) {
      const items = r.map((x) => x.item);
      expect(new Set(items).size).toBe(items.length);
      expect(r.slice(1).every((x) => x.label === 0 && x.user === r[0]!.user && x.atMs === r[0]!.atMs)).toBe(true);
    }
    // Whole pools (up to 13 candidates here), not 1 + 8 draws.
    expect(Math.max(...requests.map((r) => r.length))).toBeGreaterThan(9);
  });
});

describe('global split cutoff', () => {
  it('picks the test fraction that leaves the most users with history before and events after the cutoff', () => {
    const data = events();
    const f = maxOverlapTestFraction(data);
    // Every user is active on day 5 and day 50, so any cutoff in between evaluates all 30; the largest such share wins.
    expect(f).toBeCloseTo(0.5, 10);
    expect(globalTimeSplit(data, f).test.size).toBe(30);
    expect(globalTimeSplit(data, 0.02).test.size).toBeLessThan(30);
  });
});

describe('validation slice of the training period', () => {
  it('gives the ranker and validation disjoint users, and validates only items unseen by the retriever', () => {
    const data = events();
    const split = perUserTemporalSplit(data);
    const holdout = rankerHoldout(data, split, 0.2);
    const v = validationSlice(data, split, holdout, { share: 0.3, seed: 3 });
    expect(v.firstPos.size).toBeGreaterThan(0);
    const rankerUsers = new Set(Array.from(v.rankerFrom, (p) => data.user[split.train[p]!]!));
    for (const u of v.firstPos.keys()) {
      expect(rankerUsers.has(u)).toBe(false);
      for (const it of v.relevant.get(u)!) expect(v.exclude.get(u)?.has(it) ?? false).toBe(false);
    }
    expect(v.rankerFrom.length + [...v.firstPos.keys()].length).toBeLessThanOrEqual(holdout.length);
    expect([...validationSlice(data, split, holdout, { share: 0.3, seed: 3 }).firstPos]).toEqual([...v.firstPos]);
  });

  it('covers every held-out user with an unseen item when asked for all of them (how the query is tuned)', () => {
    const data = events();
    const split = perUserTemporalSplit(data);
    const holdout = rankerHoldout(data, split, 0.2);
    const all = validationSlice(data, split, holdout, { share: 1, maxUsers: Number.POSITIVE_INFINITY, seed: 3 });
    expect(all.rankerFrom.length).toBe(0);
    const held = new Set(holdout);
    const trainedOn = new Map<number, Set<number>>();
    split.train.forEach((e, p) => {
      if (held.has(p)) return;
      const u = data.user[e]!;
      if (!trainedOn.has(u)) trainedOn.set(u, new Set());
      trainedOn.get(u)!.add(data.item[e]!);
    });
    const expected = new Set<number>();
    for (const p of holdout) {
      const e = split.train[p]!;
      if (!trainedOn.get(data.user[e]!)?.has(data.item[e]!)) expected.add(data.user[e]!);
    }
    expect(expected.size).toBeGreaterThan(10);
    expect(new Set(all.firstPos.keys())).toEqual(expected);
  });
});

describe('blend of ranker and retrieval scores', () => {
  // User 0: the ranker knows item 12 is relevant, retrieval prefers 10. User 1: the reverse.
  const scored: ScoredRequest[] = [
    { user: 0, items: Int32Array.of(10, 11, 12), ranker: Float32Array.of(0.1, 0.2, 0.9), retrieval: Float32Array.of(3, 2, 1) },
    { user: 1, items: Int32Array.of(20, 21, 22), ranker: Float32Array.of(0.1, 0.2, 0.9), retrieval: Float32Array.of(1, 2, 3) },
  ];

  it('orders by retrieval at w = 0 and by the ranker at w = 1', () => {
    expect([...blendRank(scored, 0)(0, 0, 3, new Set())]).toEqual([10, 11, 12]);
    expect([...blendRank(scored, 1)(0, 0, 3, new Set())]).toEqual([12, 11, 10]);
  });

  it('tunes the weight on validation relevance', () => {
    const rankerRight = tuneBlend(
      scored,
      new Map([
        [0, new Set([12])],
        [1, new Set([22])],
      ]),
    );
    expect(rankerRight.best).toBeGreaterThan(0.5);
    const retrievalRight = tuneBlend(
      scored,
      new Map([
        [0, new Set([10])],
        [1, new Set([22])],
      ]),
    );
    expect(retrievalRight.weight).toBe(0);
    expect(retrievalRight.grid.find((g) => g.weight === 0)!.ndcg).toBeCloseTo(1, 12);
    expect(retrievalRight.grid.map((g) => g.weight)).toEqual([...BLEND_GRID]);
  });

  it('keeps retrieval alone unless the best weight gains more than one standard error over it', () => {
    // Requests scored like user 0's: retrieval orders 10, 11, 12; the ranker 12, 11, 10. Each user watched one of them.
    const many = (n: number): ScoredRequest[] => Array.from({ length: n }, (_, i) => ({ ...scored[0]!, user: i }));
    const rel = (watched: number[]) => new Map(watched.map((item, i) => [i, new Set([item])] as const));
    // 16 of 20 watched the ranker's pick: a clear gain.
    const clear = tuneBlend(many(20), rel([...Array(16).fill(12), ...Array(4).fill(10)]));
    expect(clear.best).toBeGreaterThan(0);
    expect(clear.weight).toBe(clear.best);
    expect(clear.gain).toBeGreaterThan(clear.gainSe);
    // 10 watched the ranker's pick, 10 the middle item, 8 retrieval's: every weight helps some users and
    // hurts others, and the best one's gain is within noise; retrieval alone stays.
    const mixed = rel([...Array(10).fill(12), ...Array(10).fill(11), ...Array(8).fill(10)]);
    const tie = tuneBlend(many(28), mixed);
    expect(tie.best).toBeGreaterThan(0);
    expect(tie.gain).toBeGreaterThan(0);
    expect(tie.gain).toBeLessThanOrEqual(tie.gainSe);
    expect(tie.weight).toBe(0);
  });
});
