/** Inner bins of a numeric feature (reference deciles), per docs/monitoring-contract.md. */
export const NUMERIC_BINS = 10;
/** Categories kept by name; the rest share 'other'. */
export const TOP_CATEGORIES = 20;
/** Floor of each share in PSI, so an empty bin does not make it infinite. */
export const PSI_EPSILON = 1e-4;

/** One bin as a skew report lists it; the label's brackets say which bounds belong to it. */
export interface SkewBin {
  label: string;
  lo: number | null;
  hi: number | null;
  reference: number;
  served: number;
}

const fmt = (x: number): string => String(Number(x.toPrecision(6)));

/** The q-quantile of sorted values, by linear interpolation between ranks. */
export function sortedQuantile(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const pos = (n - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Reference-quantile edges (min, deciles, max), deduplicated and ascending. */
export function quantileEdges(reference: readonly number[], bins = NUMERIC_BINS): number[] {
  const sorted = Float64Array.from(reference.filter((x) => Number.isFinite(x))).sort();
  if (sorted.length === 0) return [];
  const edges = Array.from({ length: bins + 1 }, (_, i) => sortedQuantile(sorted, i / bins));
  return [...new Set(edges)];
}

/**
 * Numeric bins over the edges: underflow `[-inf,e0)`, inner `[e_i,e_i+1)` with the last inner
 * bin closed, overflow `(e_last,+inf]`; a single distinct value gives one inner bin `[v,v]`.
 * Returns the bins and a function that finds a value's bin.
 */
export function numericBins(edges: readonly number[]): {
  bins: Array<Omit<SkewBin, 'reference' | 'served'>>;
  binOf: (x: number) => number;
} {
  const e = edges;
  const bins: Array<Omit<SkewBin, 'reference' | 'served'>> = [{ label: `[-inf,${fmt(e[0]!)})`, lo: null, hi: e[0]! }];
  if (e.length === 1) bins.push({ label: `[${fmt(e[0]!)},${fmt(e[0]!)}]`, lo: e[0]!, hi: e[0]! });
  for (let i = 0; i + 1 < e.length; i++)
    bins.push({ label: `[${fmt(e[i]!)},${fmt(e[i + 1]!)}${i + 2 === e.length ? ']' : ')'}`, lo: e[i]!, hi: e[i + 1]! });
  bins.push({ label: `(${fmt(e.at(-1)!)},+inf]`, lo: e.at(-1)!, hi: null });
  const last = e.length - 1;
  const binOf = (x: number): number => {
    if (x < e[0]!) return 0;
    if (x > e[last]!) return bins.length - 1;
    if (e.length === 1) return 1;
    // Upper-bound search: the inner bin i holds [e_i, e_i+1), the last one also e_last.
    let lo = 0;
    let hi = last;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (x >= e[mid]!) lo = mid;
      else hi = mid;
    }
    return 1 + Math.min(lo, last - 1);
  };
  return { bins, binOf };
}

/** Population stability index: sum((s - r) ln(s / r)) over bins, each share floored at PSI_EPSILON. */
export function psi(reference: readonly number[], served: readonly number[]): number {
  let total = 0;
  for (let i = 0; i < reference.length; i++) {
    const r = Math.max(reference[i] ?? 0, PSI_EPSILON);
    const s = Math.max(served[i] ?? 0, PSI_EPSILON);
    total += (s - r) * Math.log(s / r);
  }
  return total;
}
