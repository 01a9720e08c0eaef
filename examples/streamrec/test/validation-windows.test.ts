import { describe, expect, it } from 'vitest';
import { TUNED_BASELINES, tuneAndEvaluate, type TunedBaseline } from '../src/baselines/tuned-baselines.js';
import type { Interactions } from '../src/data/interactions.js';
import { evaluate, rankByScores } from '../src/eval/evaluate.js';
import { innerCutoffMs, innerWindowSplits, innerWindowStartsMs } from '../src/eval/inner-split.js';
import { ASK_BEFORE_MS, globalTimeSplit, seenItems, windowHoldout } from '../src/eval/protocols.js';
import { pooledRolling, summarizeRolling } from '../src/eval/rolling-origin.js';
import { requestKey, userOfKey, validationSlice, windowOfKey } from '../src/eval/validation.js';
import { ensembleItemForward, towerEnsemble, trainTwoTower } from '../src/models/index.js';
import { syntheticInteractions } from '../src/models/synthetic.js';
import { mulberry32, Rng } from '../src/nn/rng.js';
import { heldOutRequests, type TwoTowerSet } from '../src/pipeline/steps/split.js';
import { windowAt } from '../src/pipeline/steps/tune-query.js';
import { clusteredGain, tuneRetrievalQuery } from '../src/pipeline/two-stage/index.js';
import { lastShare, POPULARITY_SHARE_GRID, POPULARITY_WEIGHT_GRID, popularityPrior } from '../src/retrieval/index.js';
import { D_USER } from '../src/training-sets/build-training-sets.js';
import { interactionsOf } from './fixtures.js';

const DAY = 86_400_000;

/** 50 users over 200 days, 25 events each spread over their own active span, 80 items (seeded). */
function events(seed = 21): Interactions {
  const rand = mulberry32(seed);
  const ev: Array<[number, number, number]> = [];
  for (let u = 0; u < 50; u++) {
    const start = u < 35 ? 1 : 120 + (u % 10) * 5;
    const span = 200 - start;
    const picked = new Set<number>();
    while (picked.size < 25) picked.add(Math.floor(rand() * 80));
    let k = 0;
    for (const i of picked) ev.push([u, i, (start + (span * k++) / 25) * DAY + u * 1000]);
  }
  return interactionsOf(ev, 50, 80);
}

function zeroTowerSet(rows: number): TwoTowerSet {
  return {
    userFeatures: new Float32Array(rows * D_USER),
    recentItems: Array.from({ length: rows }, () => Int32Array.of()),
  } as unknown as TwoTowerSet;
}

describe('several validation windows before the global cutoff', () => {
  const data = events();
  const split = globalTimeSplit(data, 0.08);

  it('are consecutive windows of the one window\u2019s size, the last ending at the end of training, capped at half of training', () => {
    expect(innerWindowStartsMs(data, split, 1)).toEqual([innerCutoffMs(data, split)]);
    const starts = innerWindowStartsMs(data, split, 4);
    expect(starts).toHaveLength(4);
    expect(starts[3]).toBe(innerCutoffMs(data, split));
    for (let k = 1; k < 4; k++) expect(starts[k]!).toBeGreaterThan(starts[k - 1]!);
    const held = split.train.filter((e) => data.timeMs[e]! >= starts[0]!).length;
    const one = split.train.filter((e) => data.timeMs[e]! >= starts[3]!).length;
    // Four windows of one window's events each (ties of timestamps aside).
    expect(Math.abs(held - 4 * one)).toBeLessThanOrEqual(4);
    // 40 windows would hold more than half of training: as many as fit in half.
    const many = innerWindowStartsMs(data, split, 40);
    expect(many.length).toBeLessThan(40);
    expect(split.train.filter((e) => data.timeMs[e]! >= many[0]!).length).toBeLessThanOrEqual(split.train.length / 2 + 1);
    // As splits: window k trains before its start and tests up to the next start.
    const splits = innerWindowSplits(data, split, 4);
    splits.forEach((w, k) => {
      for (const e of w.train) expect(data.timeMs[e]!).toBeLessThan(starts[k]!);
      expect(new Set(w.evalTimeMs.values())).toEqual(new Set([starts[k]! - ASK_BEFORE_MS]));
    });
  });

  it('ask one request per user per window, at its start, relevant the window\u2019s items not seen before it', () => {
    const starts = innerWindowStartsMs(data, split, 4);
    const holdout = windowHoldout(data, split, starts[0]!);
    const slice = validationSlice(data, split, holdout, { share: 1, maxUsers: Number.POSITIVE_INFINITY, seed: 3, windowStartsMs: starts });
    const single = validationSlice(data, split, holdout, {
      share: 1,
      maxUsers: Number.POSITIVE_INFINITY,
      seed: 3,
      askAtMs: starts[0]! - ASK_BEFORE_MS,
    });
    const windows = new Set([...slice.firstPos.keys()].map(windowOfKey));
    expect(windows).toEqual(new Set([0, 1, 2, 3]));
    // More requests than the single window's users, and a user asks in several windows.
    expect(slice.firstPos.size).toBeGreaterThan(2 * single.firstPos.size);
    const perUser = new Map<number, number>();
    for (const key of slice.firstPos.keys()) perUser.set(userOfKey(key), (perUser.get(userOfKey(key)) ?? 0) + 1);
    expect(Math.max(...perUser.values())).toBeGreaterThan(1);
    for (const [key, items] of slice.relevant) {
      const u = userOfKey(key),
        k = windowOfKey(key);
      const end = starts[k + 1] ?? Number.POSITIVE_INFINITY;
      const before = new Set<number>(),
        inWindow = new Set<number>();
      for (const e of split.train) {
        if (data.user[e] !== u) continue;
        if (data.timeMs[e]! < starts[k]!) before.add(data.item[e]!);
        else if (data.timeMs[e]! < end) inWindow.add(data.item[e]!);
      }
      expect(before.size).toBeGreaterThan(0);
      expect(items).toEqual(new Set([...inWindow].filter((i) => !before.has(i))));
      expect(slice.exclude.get(key)).toEqual(before);
      expect(slice.askAt!.get(key)).toBe(starts[k]! - ASK_BEFORE_MS);
    }
    // Window 0's requests are the single window's (its relevant items cut at window 1's start).
    for (const [u, items] of single.relevant)
      if (slice.relevant.has(requestKey(u, 0))) {
        for (const i of slice.relevant.get(requestKey(u, 0))!) expect(items.has(i)).toBe(true);
      }
    // A user with no event before the first window still validates in a later one.
    const firstSeen = new Map<number, number>();
    for (const e of split.train) if (!firstSeen.has(data.user[e]!)) firstSeen.set(data.user[e]!, data.timeMs[e]!);
    const late = [...slice.firstPos.keys()].filter((key) => firstSeen.get(userOfKey(key))! >= starts[0]!);
    expect(late.length).toBeGreaterThan(0);
    const requests = heldOutRequests(slice, zeroTowerSet(split.train.length), data, split);
    expect(requests).toHaveLength(slice.firstPos.size);
    for (const q of requests) {
      expect(q.user).toBe(userOfKey(q.key));
      expect(q.atMs).toBe(starts[windowOfKey(q.key)]! - ASK_BEFORE_MS);
    }
    expect(windowAt(starts, starts[2]! - ASK_BEFORE_MS)).toBe(2);
    expect(windowAt(starts, starts[0]! - 5 * DAY)).toBe(0);
    expect(windowAt(starts, starts[3]! + DAY)).toBe(3);
  });

  it('choose a baseline\u2019s value on every window\u2019s requests pooled', () => {
    const windows = innerWindowSplits(data, split, 4);
    const recent = TUNED_BASELINES.find((b) => b.model === 'popularity_recent')!;
    expect(recent.pooledWindows).toBe(true);
    const { tuning } = tuneAndEvaluate(recent, data, split, seenItems(data, split), 1, windows);
    expect(tuning.windows).toBe(4);
    const requests = windows.reduce((a, w) => a + w.test.size, 0);
    expect(tuning.validationUsers).toBe(requests);
    recent.grid.forEach((value, k) => {
      const pooled =
        windows.reduce(
          (a, w) => a + evaluate('x', w, seenItems(data, w), recent.prepare(data, w.train, 1)(value)).ndcg20 * w.test.size,
          0,
        ) / requests;
      expect(tuning.grid[k]!.ndcg).toBeCloseTo(pooled, 10);
    });
    // A fake baseline good in the first window only at value 1, in the three later ones at value 2: the pool picks 2.
    const fake: TunedBaseline = {
      model: 'fake',
      param: 'v',
      grid: [1, 2],
      prepare(_d, train) {
        const early = train.length < windows[1]!.train.length;
        return (v) =>
          rankByScores((u) => {
            const s = new Float32Array(80);
            if ((v === 1) === early) for (const w of windows) for (const i of w.test.get(u) ?? []) s[i] = 1;
            return s;
          });
      },
    };
    expect(tuneAndEvaluate(fake, data, split, seenItems(data, split), 1, windows).tuning.chosen).toBe(2);
    expect(tuneAndEvaluate(fake, data, split, seenItems(data, split), 1, windows[0]!).tuning.chosen).toBe(1);
  });
});

describe('the blend rule with a user in several windows', () => {
  it('clusters the paired gains by user: one request per user is the plain standard error, repeats do not shrink it', () => {
    const rand = mulberry32(4);
    const diff = Array.from({ length: 40 }, () => rand() - 0.4);
    const users = diff.map((_, i) => i);
    const { gain, gainSe } = clusteredGain(users, diff);
    const mean = diff.reduce((a, b) => a + b, 0) / 40;
    const sd = Math.sqrt(diff.reduce((a, d) => a + (d - mean) ** 2, 0) / 39);
    expect(gain).toBeCloseTo(mean, 12);
    expect(gainSe).toBeCloseTo(sd / Math.sqrt(40), 12);
    // Each user's request counted four times: the same mean, and about the same error, not half of it.
    const fourTimes = clusteredGain(
      users.flatMap((u) => [u, u, u, u]),
      diff.flatMap((d) => [d, d, d, d]),
    );
    expect(fourTimes.gain).toBeCloseTo(mean, 12);
    expect(fourTimes.gainSe).toBeCloseTo(gainSe, 12);
    expect(clusteredGain([1, 1], [0.1, 0.2]).gainSe).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('the recent-share popularity prior', () => {
  it('counts the last share of the events, and is chosen with its weight when recent popularity is what the requests want', () => {
    expect(Array.from(lastShare(Int32Array.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), 0.2))).toEqual([8, 9]);
    expect(Array.from(lastShare(Int32Array.of(0, 1, 2), 0.01))).toEqual([2]);
    expect(lastShare(Int32Array.of(0, 1), 1)).toHaveLength(2);
    expect(POPULARITY_SHARE_GRID[0]).toBe(1);
    expect(Math.max(...POPULARITY_WEIGHT_GRID)).toBeGreaterThanOrEqual(5);

    const s = syntheticInteractions({ numUsers: 30, numItems: 80, n: 900, dUser: 4, dItem: 5, seed: 13 });
    const tower = towerEnsemble([trainTwoTower(s.train, { epochs: 2, batchSize: 64, seed: 5 }).params]);
    const items = ensembleItemForward(tower, s.train.itemFeatures);
    const T = tower.members[0]!.config.temperature;
    const rng = new Rng(8);
    const pick = (n: number): number[] => Array.from({ length: n }, () => Math.floor(rng.next() * 80));
    // Two windows; all-time counts favour items 0-9, the recent ones items 40-49 in window 0 and 60-69 in window 1.
    const requests = Array.from({ length: 60 }, (_, r) => ({
      user: r % 30,
      key: requestKey(r % 30, r < 30 ? 0 : 1),
      vector: s.userFeaturesByUser.slice((r % 30) * 4, ((r % 30) + 1) * 4),
      recent: Int32Array.from(pick(r % 3)),
      exclude: new Set(pick(4)),
    }));
    const hot = (k: number): number[] => Array.from({ length: 10 }, (_, i) => (k === 0 ? 40 : 60) + i);
    const relevant = new Map(requests.map((q) => [q.key, new Set(hot(windowOfKey(q.key)).filter((i) => !q.exclude.has(i)))] as const));
    const allTime = popularityPrior(
      Array.from({ length: 80 }, (_, i) => (i < 10 ? 900 : 3)),
      T,
    );
    const recentAt = (k: number): Float32Array =>
      popularityPrior(
        Array.from({ length: 80 }, (_, i) => (hot(k).includes(i) ? 200 : 1)),
        T,
      );
    const tuned = tuneRetrievalQuery({
      tower,
      itemEmbeddings: items,
      requests,
      relevant,
      prior: [allTime, allTime],
      recentPriors: [{ share: 0.1, prior: [recentAt(0), recentAt(1)] }],
      weights: [0, 1],
      decays: [1],
    });
    expect(tuned.popularityShare).toBe(0.1);
    expect(tuned.popularityWeight).toBeGreaterThan(1);
    const best = Math.max(...tuned.grid.map((g) => g.ndcg));
    expect(best).toBeGreaterThan(0.9);
    // Each window's requests are scored with their own window's prior: swapped, the recent prior loses.
    const swapped = tuneRetrievalQuery({
      tower,
      itemEmbeddings: items,
      requests,
      relevant,
      prior: [allTime, allTime],
      recentPriors: [{ share: 0.1, prior: [recentAt(1), recentAt(0)] }],
      weights: [0, 1],
      decays: [1],
    });
    expect(Math.max(...swapped.grid.filter((g) => g.popularityShare === 0.1).map((g) => g.ndcg))).toBeLessThan(0.7);
  });
});

describe('rolling origins pooled', () => {
  it('resamples every origin\u2019s users as one sample, its mean each user\u2019s, paired differences per user', () => {
    const rand = mulberry32(9);
    const mk = (n: number, shift: number) => {
      const v = Float64Array.from({ length: n }, () => Math.min(1, Math.max(0, rand() * 0.5 + shift)));
      const r = { model: 'm', protocol: 'global_time' as const, users: n, recall20: 0, ndcg20: v.reduce((a, b) => a + b, 0) / n };
      Object.defineProperty(r, 'perUserNdcg20', { value: v, enumerable: false });
      return r as typeof r & { perUserNdcg20: Float64Array };
    };
    const a = [mk(10, 0.2), mk(40, 0.3)];
    const b = a.map((r) => {
      const v = r.perUserNdcg20.map((x) => x - 0.05);
      const out = { ...r, ndcg20: r.ndcg20 - 0.05 };
      Object.defineProperty(out, 'perUserNdcg20', { value: v, enumerable: false });
      return out;
    });
    const p = pooledRolling(a);
    const all = [...a[0]!.perUserNdcg20, ...a[1]!.perUserNdcg20];
    expect(p.users).toBe(50);
    expect(p.mean).toBeCloseTo(all.reduce((x, y) => x + y, 0) / 50, 12);
    expect(p.lo).toBeLessThan(p.mean);
    expect(p.hi).toBeGreaterThan(p.mean);
    // Origins weighted by users, not each cutoff the same (the stratified mean).
    expect(Math.abs(p.mean - summarizeRolling(a).mean)).toBeGreaterThan(0.005);
    const d = pooledRolling(a, { paired: b });
    expect(d.mean).toBeCloseTo(0.05, 10);
    expect(d.lo).toBeCloseTo(0.05, 10);
    expect(() => pooledRolling(a, { paired: [b[0]!] })).toThrow(/origin 1/);
  });
});
