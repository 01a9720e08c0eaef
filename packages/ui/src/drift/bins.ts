/** One bin of a histogram: numeric bins have bounds (null: unbounded), categorical bins a category ('other' for the rest). */
export interface Bin {
  label: string;
  lo: number | null;
  hi: number | null;
  /** Whether lo and hi belong to the bin ('[' / ']' in the label). */
  loClosed: boolean;
  hiClosed: boolean;
  /** Categorical bins: the category; null for numeric bins and for 'other'. */
  category: string | null;
}

/** Number of inner bins of a numeric feature (reference deciles), as the monitoring contract sets. */
export const NUMERIC_BINS = 10;
/** Categories kept by name (the reference's most frequent); the rest share the bin 'other'. */
export const TOP_CATEGORIES = 20;
/** The floor each share is raised to in PSI, so empty bins do not make it infinite. */
export const PSI_EPSILON = 1e-4;

const fmt = (x: number): string => String(Number(x.toPrecision(6)));

/**
 * Numeric bins from reference quantile edges (deduplicated, ascending): an underflow bin below
 * the first edge, [e_i, e_i+1) between edges with the last inner bin closed, and an overflow bin
 * above the last edge. With a single distinct value there is one inner bin [v, v].
 */
export function numericBins(edges: readonly number[]): Bin[] {
  const e = [...new Set(edges.filter((x) => Number.isFinite(x)))].sort((a, b) => a - b);
  if (e.length === 0) return [];
  const bins: Bin[] = [{ label: `[-inf,${fmt(e[0]!)})`, lo: null, hi: e[0]!, loClosed: false, hiClosed: false, category: null }];
  if (e.length === 1)
    bins.push({ label: `[${fmt(e[0]!)},${fmt(e[0]!)}]`, lo: e[0]!, hi: e[0]!, loClosed: true, hiClosed: true, category: null });
  for (let i = 0; i + 1 < e.length; i++) {
    const last = i + 2 === e.length;
    bins.push({
      label: `[${fmt(e[i]!)},${fmt(e[i + 1]!)}${last ? ']' : ')'}`,
      lo: e[i]!,
      hi: e[i + 1]!,
      loClosed: true,
      hiClosed: last,
      category: null,
    });
  }
  bins.push({ label: `(${fmt(e.at(-1)!)},+inf]`, lo: e.at(-1)!, hi: null, loClosed: false, hiClosed: false, category: null });
  return bins;
}

/** Categorical bins: the given categories (most frequent first) and 'other'. */
export function categoricalBins(categories: readonly string[]): Bin[] {
  return [
    ...categories.map((c) => ({ label: c, lo: null, hi: null, loClosed: false, hiClosed: false, category: c })),
    { label: 'other', lo: null, hi: null, loClosed: false, hiClosed: false, category: null },
  ];
}

/**
 * Bins as a skew report lists them ({label, lo, hi}); the label's brackets say which bounds are
 * inside ('[1.5,2)' holds 1.5, not 2), and a bin with neither bound is a category unless it is 'other'.
 */
export function binsFromReport(
  bins: ReadonlyArray<{ label: string; lo: number | null; hi: number | null }>,
  type: 'numeric' | 'categorical',
): Bin[] {
  return bins.map((b) => {
    if (type === 'categorical')
      return { label: b.label, lo: null, hi: null, loClosed: false, hiClosed: false, category: b.label === 'other' ? null : b.label };
    const open = b.label.trim()[0];
    const close = b.label.trim().at(-1);
    return {
      label: b.label,
      lo: b.lo,
      hi: b.hi,
      loClosed: open === '[' && b.lo !== null,
      hiClosed: close === ']' && b.hi !== null,
      category: null,
    };
  });
}

/** Population stability index of served against reference shares: sum((s - r) ln(s / r)), each share floored at PSI_EPSILON. */
export function psi(reference: readonly number[], served: readonly number[]): number {
  let total = 0;
  for (let i = 0; i < reference.length; i++) {
    const r = Math.max(reference[i] ?? 0, PSI_EPSILON);
    const s = Math.max(served[i] ?? 0, PSI_EPSILON);
    total += (s - r) * Math.log(s / r);
  }
  return total;
}
