/** Cumulative bucket counts of one histogram series: upper bound (le) -> observations <= le. */
export type Buckets = Map<number, number>;

/**
 * The q-quantile of a Prometheus histogram, as PromQL's histogram_quantile computes it: linear
 * interpolation inside the bucket the rank falls in; the highest finite bound when it falls in
 * +Inf; null with no observations.
 */
export function histogramQuantile(q: number, buckets: Buckets): number | null {
  const bounds = [...buckets.keys()].sort((a, b) => a - b);
  if (bounds.length === 0) return null;
  const total = buckets.get(bounds.at(-1)!) ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  let prevBound = 0;
  let prevCount = 0;
  for (const le of bounds) {
    const count = buckets.get(le)!;
    if (count >= rank) {
      if (!Number.isFinite(le)) return prevBound;
      if (count === prevCount) return le;
      return prevBound + ((le - prevBound) * (rank - prevCount)) / (count - prevCount);
    }
    prevBound = le;
    prevCount = count;
  }
  return prevBound;
}

/** The bucket-wise difference later - earlier (a window's observations); counter resets read as the later value. */
export function bucketDelta(later: Buckets, earlier: Buckets | undefined): Buckets {
  if (!earlier) return later;
  const out: Buckets = new Map();
  let reset = false;
  for (const [le, c] of later) if (c < (earlier.get(le) ?? 0)) reset = true;
  for (const [le, c] of later) out.set(le, reset ? c : c - (earlier.get(le) ?? 0));
  return out;
}
