import type { Interactions } from '../data/interactions.js';

/** Each user's distinct training items (dense indexes, ascending), indexed by dense user; users without events get an empty list. */
export function userItemLists(data: Interactions, train: Int32Array): Int32Array[] {
  const sets: Array<Set<number> | undefined> = new Array(data.userIds.length);
  for (const e of train) {
    const u = data.user[e]!;
    (sets[u] ??= new Set()).add(data.item[e]!);
  }
  return Array.from(sets, (s) => (s ? Int32Array.from([...s].sort((a, b) => a - b)) : new Int32Array(0)));
}

/**
 * The items the item-item baselines (EASE, ItemKNN) model: the most-watched ones, as many as cover
 * `coverage` of the training events, at most `maxItems`. A compute bound, not a tuned value: the
 * dense item-item matrix costs maxItems^2 memory and EASE's inverse maxItems^3 time; the rest of the
 * catalog scores below every modelled item.
 */
export function modelledItems(data: Interactions, train: Int32Array, maxItems: number, coverage = 0.95): Int32Array {
  const counts = new Float64Array(data.itemIds.length);
  for (const e of train) counts[data.item[e]!]! += 1;
  const order = Array.from(counts.keys())
    .filter((i) => counts[i]! > 0)
    .sort((a, b) => counts[b]! - counts[a]! || a - b);
  const total = train.length;
  let covered = 0,
    n = 0;
  while (n < order.length && n < maxItems && covered < coverage * total) covered += counts[order[n++]!]!;
  return Int32Array.from(order.slice(0, n).sort((a, b) => a - b));
}

/** Dense Gram matrix X^T X (co-watch counts, each user once per item) over `items`, row-major m x m. */
export function itemGram(lists: readonly Int32Array[], items: Int32Array, numItems: number): Float64Array {
  const m = items.length;
  const pos = new Int32Array(numItems).fill(-1);
  items.forEach((it, k) => (pos[it] = k));
  const g = new Float64Array(m * m);
  const local = new Int32Array(numItems);
  for (const list of lists) {
    let n = 0;
    for (const it of list) if (pos[it]! >= 0) local[n++] = pos[it]!;
    for (let a = 0; a < n; a++) {
      const row = local[a]! * m;
      for (let b = 0; b < n; b++) g[row + local[b]!]! += 1;
    }
  }
  return g;
}
