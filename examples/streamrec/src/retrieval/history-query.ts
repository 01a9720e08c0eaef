/**
 * The retrieval query of a user: the user tower's embedding plus `weight` times the recency-weighted
 * mean item embedding of the user's recent items (the `user_recent.last_10_items` stream feature,
 * newest first; item i weighs decay^i). The
 * two-tower's user tower sees recent items only as a genre profile; adding their learned item
 * embeddings brings back "more like what I just watched", which the next items in MovieLens
 * follow closely. `weight` and `decay` are tuned on the validation slice (ADR 0052); weight 0 is
 * the tower alone.
 *
 * @param recentRows rows of `itemEmbeddings` (dense item indexes) of the recent items; unknown items left out by the caller
 */
export function historyQuery(
  userEmb: Float32Array,
  userOffset: number,
  dim: number,
  itemEmbeddings: Float32Array,
  recentRows: ArrayLike<number>,
  weight: number,
  out: Float32Array = new Float32Array(dim),
  decay = 1,
): Float32Array {
  for (let f = 0; f < dim; f++) out[f] = userEmb[userOffset + f]!;
  const n = recentRows.length;
  if (weight === 0 || n === 0) return out;
  // Item i (0 = newest, as last_10_items stores them) weighs decay^i, normalized to sum to 1.
  let total = 0;
  for (let i = 0, d = 1; i < n; i++, d *= decay) total += d;
  for (let i = 0, d = 1; i < n; i++, d *= decay) {
    const w = (weight * d) / total;
    const base = recentRows[i]! * dim;
    for (let f = 0; f < dim; f++) out[f] = out[f]! + w * itemEmbeddings[base + f]!;
  }
  return out;
}

/** Recent-item weights tried on the validation slice. */
export const RECENT_WEIGHT_GRID = [0, 0.25, 0.5, 1, 2, 4] as const;
/** Recency decays tried on the validation slice (1: a plain mean). */
export const RECENT_DECAY_GRID = [1, 0.5, 0.25, 0.1] as const;

/** How a user's recent items enter the retrieval query. */
export interface HistoryQueryParams {
  weight: number;
  decay: number;
}
