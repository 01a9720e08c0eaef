/**
 * Request-relative ranker inputs (issue 21): where a candidate stands among the request's other
 * candidates by its retrieval score, decayed popularity and co-occurrence: its z-score and
 * log(1 + rank) within the request. A listwise ranker sees only differences between a request's
 * rows; these columns hand it the order each source's score puts the served pool in, which the
 * raw values alone give only up to the request's scale (a score of 3 is top in one request, middle
 * in another). Offline (rankerTrainingSet, over the whole pool) and serving (buildBatch, over the
 * served batch) call the same function.
 */

/** The columns the relative inputs are taken of, by name (RANKER_FEATURE_NAMES). */
export const RELATIVE_SOURCE_NAMES = [
  'two_tower_score',
  'log_pop_decay_short',
  'log_pop_decay_mid',
  'log_pop_decay_long',
  'log_co_occurrence',
] as const;

/** Names of the relative columns: z-score then log rank of each source column, in RELATIVE_SOURCE_NAMES order. */
export const REQUEST_RELATIVE_NAMES: readonly string[] = RELATIVE_SOURCE_NAMES.flatMap((n) => [`z_${n}`, `log_rank_${n}`]);

/**
 * Writes the relative columns of one request's rows `start .. start + n` of the row-major `x`
 * (width `d`): for each of `sources` (column indexes), the z-score within the request (population
 * standard deviation; all-equal values give 0) at `at + 2j` and log1p of the 0-based rank (largest
 * first, ties by row order) at `at + 2j + 1`.
 */
export function writeRequestRelative(x: Float32Array, start: number, n: number, d: number, sources: readonly number[], at: number): void {
  if (n === 0) return;
  const v = new Float64Array(n);
  const order = new Int32Array(n);
  sources.forEach((c, j) => {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += v[i] = x[(start + i) * d + c]!;
    mean /= n;
    let s = 0;
    for (let i = 0; i < n; i++) s += (v[i]! - mean) * (v[i]! - mean);
    const sd = Math.sqrt(s / n) || 1;
    for (let i = 0; i < n; i++) order[i] = i;
    order.sort((a, b) => v[b]! - v[a]! || a - b);
    const zAt = at + 2 * j;
    for (let r = 0; r < n; r++) {
      const i = order[r]!;
      const o = (start + i) * d;
      x[o + zAt] = (v[i]! - mean) / sd;
      x[o + zAt + 1] = Math.log1p(r);
    }
  });
}
