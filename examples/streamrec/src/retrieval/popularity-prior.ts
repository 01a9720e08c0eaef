/**
 * A popularity prior on the two-tower's retrieval score (ADR 0077): item i's score is
 * q . v_i + weight * T * log(1 + c_i), where c_i counts the training events of item i the tower
 * learned from and T is the tower's softmax temperature. Log-Q correction trains the tower to
 * leave popularity out of q . v; the prior puts a tuned share of it back, in the tower's own
 * logit units (a weight of 1 adds log(1 + c_i) to the trained logit q . v / T).
 */

/**
 * Prior weights tried on the held-out users, jointly with the recent-items query (ADR 0077). The
 * top reaches past 1.5 (chosen at the grid's end on the global split's window): at 10 the prior
 * outweighs the tower wherever counts differ, i.e. the retrieval order is (recent) popularity's
 * with the tower breaking ties, so validation can choose popularity when that is what it prefers.
 */
export const POPULARITY_WEIGHT_GRID = [0, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10] as const;

/**
 * Shares of the most recent training events the prior may count (1: all of them, tried first so
 * ties keep the all-time prior): the popularity that matters under a global time split is recent.
 */
export const POPULARITY_SHARE_GRID = [1, 0.5, 0.2, 0.1, 0.05, 0.025] as const;

/** The last `share` of time-ordered `events` (at least one when there are any): what a recent prior counts. */
export function lastShare(events: Int32Array, share: number): Int32Array {
  if (share >= 1 || events.length === 0) return events;
  return events.subarray(Math.min(events.length - 1, Math.floor(events.length * (1 - share))));
}

/** T * log(1 + count) per item: the prior at weight 1. */
export function popularityPrior(counts: ArrayLike<number>, temperature: number): Float32Array {
  const out = new Float32Array(counts.length);
  for (let i = 0; i < out.length; i++) out[i] = temperature * Math.log1p(Math.max(0, counts[i]!));
  return out;
}

/** The per-item score bias at `weight`: what retrieval adds to each item's dot product. */
export function retrievalBias(prior: Float32Array, weight: number): Float32Array {
  return prior.map((p) => weight * p);
}

/** Adds `bias` to `scores` in place; no bias leaves them as they are. */
export function addBias<T extends Float32Array | Float64Array>(scores: T, bias: Float32Array | undefined): T {
  if (bias) for (let i = 0; i < scores.length; i++) scores[i] = scores[i]! + bias[i]!;
  return scores;
}

/**
 * Item vectors with the bias as one more column, for an inner-product index: a query with 1 in
 * that column (withUnitColumn) then scores q . v_i + bias_i, so the ANN and the ranker's
 * retrieval-score feature see the prior without knowing about it.
 */
export function withBiasColumn(embeddings: Float32Array, dim: number, bias: Float32Array): Float32Array {
  const n = embeddings.length / dim;
  const out = new Float32Array(n * (dim + 1));
  for (let r = 0; r < n; r++) {
    out.set(embeddings.subarray(r * dim, (r + 1) * dim), r * (dim + 1));
    out[r * (dim + 1) + dim] = bias[r]!;
  }
  return out;
}

/** The query for withBiasColumn's vectors: the query with a trailing 1. */
export function withUnitColumn(query: Float32Array): Float32Array {
  const out = new Float32Array(query.length + 1);
  out.set(query);
  out[query.length] = 1;
  return out;
}
