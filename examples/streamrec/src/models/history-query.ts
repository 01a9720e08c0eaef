/**
 * The retrieval query of a user: the user tower's embedding plus `weight` times the mean item
 * embedding of the user's recent items (the `user_recent.last_10_items` stream feature). The
 * two-tower's user tower sees recent items only as a genre profile; adding their learned item
 * embeddings brings back "more like what I just watched", which the next items in MovieLens
 * follow closely. `weight` is tuned on the validation slice (ADR 0052); 0 is the tower alone.
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
): Float32Array {
  for (let f = 0; f < dim; f++) out[f] = userEmb[userOffset + f]!;
  const n = recentRows.length;
  if (weight === 0 || n === 0) return out;
  const w = weight / n;
  for (let i = 0; i < n; i++) {
    const base = recentRows[i]! * dim;
    for (let f = 0; f < dim; f++) out[f] = out[f]! + w * itemEmbeddings[base + f]!;
  }
  return out;
}

/** Recent-item weights tried on the validation slice. */
export const RECENT_WEIGHT_GRID = [0, 0.25, 0.5, 1, 2] as const;
