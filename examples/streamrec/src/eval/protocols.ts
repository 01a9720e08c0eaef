import type { Interactions } from '../data/interactions.js';
import { itemFirstSeenMs } from './catalog-at.js';

/**
 * Recommendations are asked for this long before the first test event, so point-in-time lookups
 * (which include rows stamped exactly at the lookup time) never see a test event.
 */
export const ASK_BEFORE_MS = 1000;

/** The two offline evaluation protocols (ADR 0050). */
export type ProtocolName = 'global_time' | 'per_user_temporal';

/**
 * A train/test split: which events train, and per evaluated user the held-out items and the
 * moment the user's features are read (just before their first test event).
 */
export interface Split {
  protocol: ProtocolName;
  /** Indexes into the Interactions arrays of the training events, in time order. */
  train: Int32Array;
  /** Held-out items per evaluated user index (items already seen in training removed). */
  test: Map<number, Set<number>>;
  /** Per evaluated user: the time (ms) recommendations are asked for, one second before the first test event. */
  evalTimeMs: Map<number, number>;
  /** The last training event's time (ms); item features for ranking are read as of this moment. */
  trainEndMs: number;
  trainStartMs: number;
  /** When each item entered the catalog (itemFirstSeenMs): rankings skip items first seen after the request. */
  itemFirstSeenMs?: Float64Array;
}

/**
 * (a) Global time split: every event before the cutoff trains, events after it test. Users with no
 * training history (cold start) are not evaluated; the cutoff is the `testFraction` quantile of event times.
 */
export function globalTimeSplit(data: Interactions, testFraction = 0.1): Split {
  const cutIx = Math.floor(data.n * (1 - testFraction));
  const cutoff = data.timeMs[cutIx]!;
  const train: number[] = [];
  const seen = new Map<number, Set<number>>();
  const test = new Map<number, Set<number>>();
  for (let i = 0; i < data.n; i++) {
    const u = data.user[i]!;
    if (data.timeMs[i]! < cutoff) {
      train.push(i);
      let s = seen.get(u);
      if (!s) seen.set(u, (s = new Set()));
      s.add(data.item[i]!);
    }
  }
  for (let i = 0; i < data.n; i++) {
    const u = data.user[i]!;
    if (data.timeMs[i]! < cutoff || !seen.has(u) || seen.get(u)!.has(data.item[i]!)) continue;
    let s = test.get(u);
    if (!s) test.set(u, (s = new Set()));
    s.add(data.item[i]!);
  }
  const evalTimeMs = new Map<number, number>([...test.keys()].map((u) => [u, cutoff - ASK_BEFORE_MS]));
  return {
    protocol: 'global_time',
    train: Int32Array.from(train),
    test,
    evalTimeMs,
    trainEndMs: data.timeMs[train[train.length - 1] ?? 0]!,
    trainStartMs: data.timeMs[0]!,
    itemFirstSeenMs: itemFirstSeenMs(data),
  };
}

/**
 * The test fraction (0.01 to 0.5, in steps of 0.005) whose global cutoff leaves the most users
 * with events on both sides of it, i.e. the most evaluable users; ties go to the larger fraction.
 * It looks only at who is active when, never at what they watched, so it tunes nothing on test labels.
 */
export function maxOverlapTestFraction(data: Interactions): number {
  const first = new Map<number, number>(),
    last = new Map<number, number>();
  for (let i = 0; i < data.n; i++) {
    const u = data.user[i]!,
      t = data.timeMs[i]!;
    if (!first.has(u)) first.set(u, t);
    last.set(u, t);
  }
  let best = 0.2,
    bestUsers = -1;
  for (let k = 100; k >= 2; k--) {
    const f = k * 0.005;
    const cutoff = data.timeMs[Math.floor(data.n * (1 - f))]!;
    let users = 0;
    for (const [u, t0] of first) if (t0 < cutoff && last.get(u)! >= cutoff) users++;
    if (users > bestUsers) {
      best = f;
      bestUsers = users;
    }
  }
  return best;
}

/**
 * (b) Per-user temporal split: each user's last `testFraction` of events (by time) test, the rest
 * train. Every user with at least `minEvents` events is evaluated.
 */
export function perUserTemporalSplit(data: Interactions, testFraction = 0.2, minEvents = 5): Split {
  const byUser = new Map<number, number[]>();
  for (let i = 0; i < data.n; i++) {
    const u = data.user[i]!;
    let a = byUser.get(u);
    if (!a) byUser.set(u, (a = []));
    a.push(i);
  }
  const isTest = new Uint8Array(data.n);
  const test = new Map<number, Set<number>>();
  const evalTimeMs = new Map<number, number>();
  for (const [u, events] of byUser) {
    if (events.length < minEvents) continue;
    const nTest = Math.max(1, Math.ceil(events.length * testFraction));
    const testEvents = events.slice(events.length - nTest);
    const trainItems = new Set(events.slice(0, events.length - nTest).map((i) => data.item[i]!));
    const items = new Set<number>();
    for (const i of testEvents) {
      isTest[i] = 1;
      if (!trainItems.has(data.item[i]!)) items.add(data.item[i]!);
    }
    if (items.size > 0) {
      test.set(u, items);
      evalTimeMs.set(u, data.timeMs[testEvents[0]!]! - ASK_BEFORE_MS);
    }
  }
  const train: number[] = [];
  for (let i = 0; i < data.n; i++) if (!isTest[i]) train.push(i);
  const trainEnd = train.reduce((m, i) => Math.max(m, data.timeMs[i]!), 0);
  return {
    protocol: 'per_user_temporal',
    train: Int32Array.from(train),
    test,
    evalTimeMs,
    trainEndMs: trainEnd,
    trainStartMs: data.timeMs[0]!,
    itemFirstSeenMs: itemFirstSeenMs(data),
  };
}

/** Each user's set of training items, to exclude from their rankings. */
export function seenItems(data: Interactions, split: Split): Map<number, Set<number>> {
  const seen = new Map<number, Set<number>>();
  for (const i of split.train) {
    const u = data.user[i]!;
    let s = seen.get(u);
    if (!s) seen.set(u, (s = new Set()));
    s.add(data.item[i]!);
  }
  return seen;
}

/**
 * Positions (into `split.train`) of the events held out from retriever training so the ranker can
 * learn from out-of-sample retrieval scores: the last `fraction` of each user's training events.
 */
export function rankerHoldout(data: Interactions, split: Split, fraction = 0.1): Int32Array {
  const byUser = new Map<number, number[]>();
  split.train.forEach((e, pos) => {
    const u = data.user[e]!;
    let a = byUser.get(u);
    if (!a) byUser.set(u, (a = []));
    a.push(pos);
  });
  const out: number[] = [];
  for (const positions of byUser.values()) {
    const n = Math.floor(positions.length * fraction);
    if (positions.length - n >= 3) out.push(...positions.slice(positions.length - n));
  }
  return Int32Array.from(out.sort((a, b) => a - b));
}

/**
 * Positions (into `split.train`) of the training events at or after `cutoffMs`: the global split's
 * holdout, a time window as the test period is, so the query, the ranker and the blend are tuned
 * on requests built as the test's are (asked at one cutoff, users with history before it).
 */
export function windowHoldout(data: Interactions, split: Split, cutoffMs: number): Int32Array {
  const out: number[] = [];
  split.train.forEach((e, pos) => {
    if (data.timeMs[e]! >= cutoffMs) out.push(pos);
  });
  return Int32Array.from(out);
}
