import type { Interactions } from '../data/interactions.js';
import { ASK_BEFORE_MS, type Split } from './protocols.js';

/**
 * The validation split inside a split's training events, built by the same protocol: what every
 * baseline's hyper-parameter is chosen on before its test figure is computed.
 *
 * - global_time: the last training events, as many as the outer split's test period holds (at
 *   least 5% of training), validate; everything before them trains.
 * - per_user_temporal: each user's last `perUserFraction` of training events validate (users with
 *   at least 5 training events).
 */
export function innerSplit(data: Interactions, split: Split, perUserFraction = 0.2): Split {
  const train = split.train;
  if (split.protocol === 'global_time') return windowSplit(data, train, innerCutoffMs(data, split), Number.POSITIVE_INFINITY, split);
  const byUser = new Map<number, number[]>();
  for (const e of train) {
    const u = data.user[e]!;
    let a = byUser.get(u);
    if (!a) byUser.set(u, (a = []));
    a.push(e);
  }
  const isVal = new Uint8Array(data.n);
  const test = new Map<number, Set<number>>();
  const evalTimeMs = new Map<number, number>();
  for (const [u, events] of byUser) {
    if (events.length < 5) continue;
    const nVal = Math.max(1, Math.ceil(events.length * perUserFraction));
    const cut = events.length - nVal;
    const before = new Set(events.slice(0, cut).map((e) => data.item[e]!));
    const items = new Set<number>();
    for (const e of events.slice(cut)) {
      isVal[e] = 1;
      if (!before.has(data.item[e]!)) items.add(data.item[e]!);
    }
    if (items.size > 0) {
      test.set(u, items);
      evalTimeMs.set(u, data.timeMs[events[cut]!]! - ASK_BEFORE_MS);
    }
  }
  const inner = train.filter((e) => !isVal[e]);
  return {
    protocol: split.protocol,
    train: inner,
    test,
    evalTimeMs,
    trainEndMs: inner.length ? data.timeMs[inner[inner.length - 1]!]! : split.trainStartMs,
    trainStartMs: split.trainStartMs,
    ...(split.itemFirstSeenMs ? { itemFirstSeenMs: split.itemFirstSeenMs } : {}),
  };
}

/**
 * The global split's validation cutoff: the time of the first of the last training events, as many
 * as the outer test period holds (at least 5% of training, at most half).
 */
export function innerCutoffMs(data: Interactions, split: Split): number {
  return innerWindowStartsMs(data, split, 1)[0]!;
}

/**
 * The global split's validation windows: `count` consecutive windows before the outer cutoff, each
 * holding as many training events as innerCutoffMs's one window (the outer test period's size, at
 * least 5% of training), the last ending at the end of training. Fewer when `count` of them would
 * hold more than half of training (at least one). Their start times, earliest first, distinct.
 * One window on latest-small holds ~20 validation users; the blend and the prior are chosen on
 * all the windows' requests pooled, so the rule sees 3-4x the users without tuning to one period.
 */
export function innerWindowStartsMs(data: Interactions, split: Split, count: number): number[] {
  const train = split.train;
  const outerTest = Math.max(0, data.n - train.length);
  const nVal = Math.max(1, Math.ceil(train.length * 0.05), Math.min(outerTest, Math.floor(train.length / 2)));
  const k = Math.max(1, Math.min(Math.floor(count), Math.floor(train.length / 2 / nVal)));
  const starts: number[] = [];
  for (let i = k; i >= 1; i--) {
    const t = data.timeMs[train[Math.max(0, train.length - i * nVal)]!]!;
    if (starts.length === 0 || t > starts[starts.length - 1]!) starts.push(t);
  }
  return starts;
}

/**
 * The global split's validation windows as splits: window k trains on every training event before
 * its start and tests on [start_k, start_k+1) (the last on the rest of training), each asked at its
 * own start as the outer test is. A baseline's value is chosen on their users pooled.
 */
export function innerWindowSplits(data: Interactions, split: Split, count: number): Split[] {
  const starts = innerWindowStartsMs(data, split, count);
  return starts.map((s, k) => windowSplit(data, split.train, s, starts[k + 1] ?? Number.POSITIVE_INFINITY, split));
}

/**
 * A global-time split of `events` (time-ordered indexes) at `cutoffMs`: the events before it train,
 * those in [cutoffMs, endMs) test, for users with training history (their unseen items only).
 */
export function windowSplit(
  data: Interactions,
  events: Int32Array,
  cutoffMs: number,
  endMs: number,
  like: Pick<Split, 'itemFirstSeenMs'>,
): Split {
  const train: number[] = [];
  const seen = new Map<number, Set<number>>();
  const test = new Map<number, Set<number>>();
  for (const e of events) {
    const t = data.timeMs[e]!;
    const u = data.user[e]!;
    if (t < cutoffMs) {
      train.push(e);
      let s = seen.get(u);
      if (!s) seen.set(u, (s = new Set()));
      s.add(data.item[e]!);
    } else if (t < endMs && seen.has(u) && !seen.get(u)!.has(data.item[e]!)) {
      let s = test.get(u);
      if (!s) test.set(u, (s = new Set()));
      s.add(data.item[e]!);
    }
  }
  return {
    protocol: 'global_time',
    train: Int32Array.from(train),
    test,
    evalTimeMs: new Map([...test.keys()].map((u) => [u, cutoffMs - ASK_BEFORE_MS])),
    trainEndMs: train.length ? data.timeMs[train[train.length - 1]!]! : cutoffMs,
    trainStartMs: data.timeMs[events[0] ?? 0] ?? cutoffMs,
    ...(like.itemFirstSeenMs ? { itemFirstSeenMs: like.itemFirstSeenMs } : {}),
  };
}
