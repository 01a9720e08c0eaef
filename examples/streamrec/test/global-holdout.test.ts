import { describe, expect, it } from 'vitest';
import type { Interactions } from '../src/data/interactions.js';
import { innerCutoffMs, innerSplit } from '../src/eval/inner-split.js';
import { ASK_BEFORE_MS, globalTimeSplit, windowHoldout } from '../src/eval/protocols.js';
import { validationSlice } from '../src/eval/validation.js';
import { mulberry32 } from '../src/nn/rng.js';
import { heldOutRequests, type TwoTowerSet } from '../src/pipeline/steps/split.js';
import { D_USER } from '../src/training-sets/build-training-sets.js';
import { interactionsOf } from './fixtures.js';

const DAY = 86_400_000;

/**
 * 40 users over 100 days: users 0-29 watch from day 1 on and keep watching to day 100, users 30-39
 * watch 4 items over days 80-85 only (no history before the inner cutoff), 60 items.
 */
function events(seed = 11): Interactions {
  const rand = mulberry32(seed);
  const ev: Array<[number, number, number]> = [];
  for (let u = 0; u < 40; u++) {
    const [start, span, n] = u < 30 ? [1, 99, 20] : [80, 5, 4];
    const picked = new Set<number>();
    while (picked.size < n) picked.add(Math.floor(rand() * 60));
    let k = 0;
    for (const i of picked) ev.push([u, i, (start + (span * k++) / n) * DAY + u * 1000]);
  }
  return interactionsOf(ev, 40, 60);
}

/** A two-tower set of zero features, one row per training event: what heldOutRequests reads its vectors from. */
function zeroTowerSet(rows: number): TwoTowerSet {
  return {
    userFeatures: new Float32Array(rows * D_USER),
    recentItems: Array.from({ length: rows }, () => Int32Array.of()),
  } as unknown as TwoTowerSet;
}

describe('the global split holdout as a time window', () => {
  const data = events();
  const split = globalTimeSplit(data, 0.15);
  const cutoff = innerCutoffMs(data, split);

  it('holds out exactly the training events at or after the inner cutoff, the window innerSplit validates the baselines on', () => {
    const holdout = windowHoldout(data, split, cutoff);
    expect(holdout.length).toBeGreaterThan(0);
    const held = new Set(holdout);
    split.train.forEach((e, p) => expect(held.has(p)).toBe(data.timeMs[e]! >= cutoff));
    const inner = innerSplit(data, split);
    expect(new Set(inner.evalTimeMs.values())).toEqual(new Set([cutoff - ASK_BEFORE_MS]));
    expect(inner.train.length).toBe(split.train.length - holdout.length);
  });

  it('validates only users with history before the cutoff, asks every request at the cutoff, and trains the ranker on the cold users', () => {
    const holdout = windowHoldout(data, split, cutoff);
    const askAtMs = cutoff - ASK_BEFORE_MS;
    const all = validationSlice(data, split, holdout, { share: 1, maxUsers: Number.POSITIVE_INFINITY, seed: 3, askAtMs });
    const before = new Set<number>();
    for (const e of split.train) if (data.timeMs[e]! < cutoff) before.add(data.user[e]!);
    const late = new Set<number>();
    for (const p of holdout) late.add(data.user[split.train[p]!]!);
    expect([...late].some((u) => !before.has(u))).toBe(true);
    expect(all.firstPos.size).toBeGreaterThan(10);
    for (const u of all.firstPos.keys()) expect(before.has(u)).toBe(true);
    for (const u of late) if (!before.has(u)) expect(all.rankerFrom.some((p) => data.user[split.train[p]!] === u)).toBe(true);
    const requests = heldOutRequests(all, zeroTowerSet(split.train.length), data, split);
    expect(requests.length).toBe(all.firstPos.size);
    for (const q of requests) expect(q.atMs).toBe(askAtMs);
    // Without askAtMs (the per-user design) a request is asked at the user's own first held-out event, and cold users validate.
    const perEvent = validationSlice(data, split, holdout, { share: 1, maxUsers: Number.POSITIVE_INFINITY, seed: 3 });
    expect([...perEvent.firstPos.keys()].some((u) => !before.has(u))).toBe(true);
    const times = heldOutRequests(perEvent, zeroTowerSet(split.train.length), data, split).map((q) => q.atMs);
    expect(Math.min(...times)).toBeGreaterThanOrEqual(askAtMs);
    expect(times.some((t) => t > askAtMs)).toBe(true);
  });
});
