import type { Interactions } from '../data/interactions.js';

/** Training-event counts per item over all of the training history. */
export function allTimePopularity(data: Interactions, train: Int32Array): Float32Array {
  const counts = new Float32Array(data.itemIds.length);
  for (const i of train) counts[data.item[i]!]! += 1;
  return counts;
}

/**
 * Training-event counts per item in the `windowDays` before `atMs` (the "trending now" list a
 * production system shows); `train` must be in time order.
 */
export function recentPopularity(data: Interactions, train: Int32Array, atMs: number, windowDays = 30): Float32Array {
  const counts = new Float32Array(data.itemIds.length);
  const from = atMs - windowDays * 86_400_000;
  let lo = 0,
    hi = train.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (data.timeMs[train[mid]!]! < from) lo = mid + 1;
    else hi = mid;
  }
  for (let j = lo; j < train.length && data.timeMs[train[j]!]! < atMs; j++) counts[data.item[train[j]!]!]! += 1;
  return counts;
}
