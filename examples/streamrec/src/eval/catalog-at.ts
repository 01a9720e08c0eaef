import type { Interactions } from '../data/interactions.js';

/** A membership test over item indexes: a Set, or a catalog rule built by `excludeAt`. */
export interface ItemExclusion {
  has(item: number): boolean;
}

const firstSeenCache = new WeakMap<Interactions, Float64Array>();

/**
 * When each item entered the catalog: the time (ms) of its first interaction in the whole log,
 * Infinity for an item nobody rated. MovieLens has no release dates, and a movie enters the system
 * with its first rating, so a request at t can be answered only with items first seen by t (ADR 0076).
 * Knowing that an item was rated before t uses nothing from after t.
 */
export function itemFirstSeenMs(data: Interactions): Float64Array {
  let out = firstSeenCache.get(data);
  if (!out) {
    out = new Float64Array(data.itemIds.length).fill(Number.POSITIVE_INFINITY);
    for (let i = 0; i < data.n; i++) {
      const it = data.item[i]!;
      if (data.timeMs[i]! < out[it]!) out[it] = data.timeMs[i]!;
    }
    firstSeenCache.set(data, out);
  }
  return out;
}

/**
 * The items of [0, numItems) an exclusion leaves, in item order: for a request ranked many times
 * (query tuning ranks each one at every grid point), scores packed over these rank with no
 * exclusion test at all, and topK over them keeps its tie order (the lower item first).
 */
export function allowedItems(exclude: ItemExclusion, numItems: number): Int32Array {
  const out = new Int32Array(numItems);
  let m = 0;
  for (let i = 0; i < numItems; i++) if (!exclude.has(i)) out[m++] = i;
  return out.slice(0, m);
}

/** `seen` plus every item that was not yet in the catalog at `atMs`. */
export function excludeAt(firstSeenMs: Float64Array, atMs: number, seen?: ItemExclusion): ItemExclusion {
  return { has: (item) => firstSeenMs[item]! > atMs || (seen?.has(item) ?? false) };
}
