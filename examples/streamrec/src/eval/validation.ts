import type { Interactions } from '../data/interactions.js';
import { mulberry32 } from '../nn/rng.js';
import type { Split } from './protocols.js';

/**
 * A validation slice carved out of the training period, for tuning (never the test set): the
 * ranker-holdout events (ADR 0052) of a seeded share of users. Their requests are asked at each
 * user's first held-out event; the relevant items are those held-out items the user had not seen
 * in the retriever's training part.
 */
export interface ValidationSlice {
  /** Holdout positions (into split.train) left for the ranker's training examples. */
  rankerFrom: Int32Array;
  /** Validation users, each with the position (into split.train) of their first held-out event. */
  firstPos: Map<number, number>;
  relevant: Map<number, Set<number>>;
  /** Items each validation user saw in the retriever's training part (excluded from rankings). */
  exclude: Map<number, Set<number>>;
  /**
   * When set, every validation request is asked at this time and only users with training events
   * before the holdout validate (the global split's test requests and user filter); otherwise each
   * user's request is asked at their first held-out event.
   */
  askAtMs?: number;
}

/** Splits the ranker holdout by user: `share` of the users (seeded, at most `maxUsers`) validate, the rest train the ranker. */
export function validationSlice(
  data: Interactions,
  split: Split,
  holdout: Int32Array,
  options: { share?: number; maxUsers?: number; seed?: number; askAtMs?: number } = {},
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
  const asked = options.askAtMs !== undefined;
  const withHistory = new Set<number>();
  if (asked) split.train.forEach((e, p) => held[p] || withHistory.add(data.user[e]!));
  const users = [...byUser.keys()].sort((a, b) => a - b);
  const share = options.share ?? 0.2;
  // A user with no event before the holdout is never a validation user when asked at one time (the
  // test skips cold users); their held-out events still train the ranker.
  const chosen = new Set(users.filter((u) => rand() < share && (!asked || withHistory.has(u))).slice(0, options.maxUsers ?? 150));
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
  for (const [u, positions] of byUser) {
    if (!chosen.has(u)) {
      rankerFrom.push(...positions);
      continue;
    }
    const items = new Set(positions.map((p) => data.item[split.train[p]!]!).filter((it) => !exclude.get(u)?.has(it)));
    if (items.size === 0) continue;
    firstPos.set(u, positions[0]!);
    relevant.set(u, items);
  }
  const out = { rankerFrom: Int32Array.from(rankerFrom.sort((a, b) => a - b)), firstPos, relevant, exclude };
  return asked ? { ...out, askAtMs: options.askAtMs! } : out;
}
