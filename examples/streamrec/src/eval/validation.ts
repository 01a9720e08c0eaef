import type { Interactions } from '../data/interactions.js';
import { mulberry32 } from '../nn/rng.js';
import { ASK_BEFORE_MS, type Split } from './protocols.js';

/**
 * Keys of validation requests: with several validation windows one user may ask once per window,
 * so a request is keyed by user + window x REQUEST_KEY_STRIDE (window 0's key is the user itself).
 */
export const REQUEST_KEY_STRIDE = 1 << 24;

/** The key of `user`'s request in validation window `window`. */
export function requestKey(user: number, window: number): number {
  return user + window * REQUEST_KEY_STRIDE;
}

/** The user of a request key. */
export function userOfKey(key: number): number {
  return key % REQUEST_KEY_STRIDE;
}

/** The validation window of a request key (0 for a slice of one window or none). */
export function windowOfKey(key: number): number {
  return Math.floor(key / REQUEST_KEY_STRIDE);
}

/**
 * A validation slice carved out of the training period, for tuning (never the test set): the
 * ranker-holdout events (ADR 0052) of a seeded share of users. Their requests are asked at each
 * user's first held-out event; the relevant items are those held-out items the user had not seen
 * in the retriever's training part.
 */
export interface ValidationSlice {
  /** Holdout positions (into split.train) left for the ranker's training examples. */
  rankerFrom: Int32Array;
  /**
   * Validation requests by key (requestKey: the user, plus the window with several windows), each
   * with the position (into split.train) of the user's first held-out event (of that window).
   */
  firstPos: Map<number, number>;
  relevant: Map<number, Set<number>>;
  /** Items each request's user saw before it (before its window, or in the retriever's training part): excluded from its ranking. */
  exclude: Map<number, Set<number>>;
  /**
   * When set, every validation request is asked at this time and only users with training events
   * before the holdout validate (the global split's test requests and user filter); otherwise each
   * user's request is asked at their first held-out event. With several windows: the first window's.
   */
  askAtMs?: number;
  /** With validation windows: each request's time (its window's start minus ASK_BEFORE_MS), by key. */
  askAt?: Map<number, number>;
  /** With validation windows: their start times, earliest first (windowOfKey indexes them). */
  windowStartsMs?: readonly number[];
}

/**
 * Splits the ranker holdout by user: `share` of the users (seeded, at most `maxUsers`) validate, the
 * rest train the ranker. With `windowStartsMs` (the holdout is the events at or after the first
 * start): one request per chosen user per window, asked at the window's start, for users with an
 * event before it, relevant the window's items they had not seen before it; `askAtMs` is one window
 * starting ASK_BEFORE_MS after it.
 */
export function validationSlice(
  data: Interactions,
  split: Split,
  holdout: Int32Array,
  options: { share?: number; maxUsers?: number; seed?: number; askAtMs?: number; windowStartsMs?: readonly number[] } = {},
): ValidationSlice {
  const rand = mulberry32((options.seed ?? 42) ^ 0x5eed);
  const held = new Uint8Array(split.train.length);
  for (const p of holdout) held[p] = 1;
  const byUser = new Map<number, number[]>();
  for (const p of holdout) {
    const u = data.user[split.train[p]!]!;
    let a = byUser.get(u);
    if (!a) byUser.set(u, (a = []));
    a.push(p);
  }
  const starts =
    options.windowStartsMs && options.windowStartsMs.length > 0
      ? options.windowStartsMs
      : options.askAtMs !== undefined
        ? [options.askAtMs + ASK_BEFORE_MS]
        : undefined;
  const asked = starts !== undefined;
  const withHistory = new Set<number>();
  if (asked) split.train.forEach((e, p) => held[p] || withHistory.add(data.user[e]!));
  const users = [...byUser.keys()].sort((a, b) => a - b);
  const share = options.share ?? 0.2;
  // A user with no event before the holdout is never a validation user when asked at one time (the
  // test skips cold users); their held-out events still train the ranker. With several windows a
  // user cold before the first may still validate in a later one (history in an earlier window).
  const hasHistory = (u: number): boolean => withHistory.has(u) || (starts !== undefined && starts.length > 1);
  const chosen = new Set(users.filter((u) => rand() < share && (!asked || hasHistory(u))).slice(0, options.maxUsers ?? 150));
  const exclude = new Map<number, Set<number>>();
  split.train.forEach((e, p) => {
    const u = data.user[e]!;
    if (!chosen.has(u) || held[p]) return;
    let s = exclude.get(u);
    if (!s) exclude.set(u, (s = new Set()));
    s.add(data.item[e]!);
  });
  const firstPos = new Map<number, number>();
  const relevant = new Map<number, Set<number>>();
  const rankerFrom: number[] = [];
  const windowed = starts !== undefined && starts.length > 1;
  const askAt = new Map<number, number>();
  const excludeByKey = windowed ? new Map<number, Set<number>>() : exclude;
  for (const [u, positions] of byUser) {
    if (!chosen.has(u)) {
      rankerFrom.push(...positions);
      continue;
    }
    if (!windowed) {
      const items = new Set(positions.map((p) => data.item[split.train[p]!]!).filter((it) => !exclude.get(u)?.has(it)));
      if (items.size === 0) continue;
      firstPos.set(u, positions[0]!);
      relevant.set(u, items);
      if (starts) askAt.set(u, starts[0]! - ASK_BEFORE_MS);
      continue;
    }
    // Seen before window k: the retriever's training part, then every earlier window's events.
    const seenBefore = new Set(exclude.get(u) ?? []);
    let i = 0;
    starts.forEach((start, k) => {
      const end = starts[k + 1] ?? Number.POSITIVE_INFINITY;
      while (i < positions.length && data.timeMs[split.train[positions[i]!]!]! < start)
        seenBefore.add(data.item[split.train[positions[i++]!]!]!);
      const inWindow: number[] = [];
      while (i < positions.length && data.timeMs[split.train[positions[i]!]!]! < end) inWindow.push(positions[i++]!);
      const hadHistory = seenBefore.size > 0;
      const items = new Set(inWindow.map((p) => data.item[split.train[p]!]!).filter((it) => !seenBefore.has(it)));
      if (hadHistory && items.size > 0) {
        const key = requestKey(u, k);
        firstPos.set(key, inWindow[0]!);
        relevant.set(key, items);
        excludeByKey.set(key, new Set(seenBefore));
        askAt.set(key, start - ASK_BEFORE_MS);
      }
      for (const p of inWindow) seenBefore.add(data.item[split.train[p]!]!);
    });
  }
  const out = { rankerFrom: Int32Array.from(rankerFrom.sort((a, b) => a - b)), firstPos, relevant, exclude: excludeByKey };
  if (!starts) return out;
  return { ...out, askAtMs: starts[0]! - ASK_BEFORE_MS, askAt, windowStartsMs: starts };
}
