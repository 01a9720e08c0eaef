/**
 * An independent implementation of the monitoring contract's skew report (numeric: reference
 * deciles, 10 bins plus under- and overflow; categorical: top 20 + other; PSI with a 1e-4 floor),
 * written for the tests in plain JS so the console's DuckDB figures are checked against other code.
 */

/** Linear-interpolation quantile (numpy's default, DuckDB's quantile_cont). */
export function quantile(sorted: readonly number[], q: number): number {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (pos - lo) * (sorted[hi]! - sorted[lo]!);
}

export interface ReportBin {
  label: string;
  lo: number | null;
  hi: number | null;
  reference: number;
  served: number;
}

export interface ReportFeature {
  feature: string;
  type: 'numeric' | 'categorical';
  psi: number;
  flagged: boolean;
  nullShare: { reference: number; served: number };
  outOfRange: number;
  bins: ReportBin[];
}

function psiOf(bins: readonly ReportBin[]): number {
  return bins.reduce((a, b) => {
    const r = Math.max(b.reference, 1e-4);
    const s = Math.max(b.served, 1e-4);
    return a + (s - r) * Math.log(s / r);
  }, 0);
}

/** A numeric feature's report entry from raw reference and served values (null = missing). */
export function numericEntry(
  feature: string,
  reference: ReadonlyArray<number | null>,
  served: ReadonlyArray<number | null>,
  threshold = 0.2,
): ReportFeature {
  const ref = reference.filter((v): v is number => v !== null).sort((a, b) => a - b);
  const srv = served.filter((v): v is number => v !== null);
  const edges = [...new Set(Array.from({ length: 11 }, (_, k) => quantile(ref, k / 10)))].sort((a, b) => a - b);
  const inner = edges.slice(0, -1).map((lo, i) => ({ lo, hi: edges[i + 1]!, last: i === edges.length - 2 }));
  const binOf = (v: number): number => {
    if (v < edges[0]!) return 0;
    if (v > edges.at(-1)!) return inner.length + 1;
    const i = inner.findIndex((b) => v >= b.lo && (b.last ? v <= b.hi : v < b.hi));
    return i + 1;
  };
  const count = (vs: readonly number[]) => {
    const c = new Array<number>(inner.length + 2).fill(0);
    for (const v of vs) c[binOf(v)]!++;
    return c.map((n) => n / vs.length);
  };
  const r = count(ref);
  const s = count(srv);
  const fmt = (x: number) => String(Number(x.toPrecision(6)));
  const bins: ReportBin[] = [
    { label: `[-inf,${fmt(edges[0]!)})`, lo: null, hi: edges[0]!, reference: r[0]!, served: s[0]! },
    ...inner.map((b, i) => ({
      label: `[${fmt(b.lo)},${fmt(b.hi)}${b.last ? ']' : ')'}`,
      lo: b.lo,
      hi: b.hi,
      reference: r[i + 1]!,
      served: s[i + 1]!,
    })),
    { label: `(${fmt(edges.at(-1)!)},+inf]`, lo: edges.at(-1)!, hi: null, reference: r.at(-1)!, served: s.at(-1)! },
  ];
  const psi = psiOf(bins);
  return {
    feature,
    type: 'numeric',
    psi,
    flagged: psi > threshold,
    nullShare: { reference: 1 - ref.length / reference.length, served: 1 - srv.length / served.length },
    outOfRange: s[0]! + s.at(-1)!,
    bins,
  };
}

/** A categorical feature's report entry: the reference's 20 most frequent values and 'other'. */
export function categoricalEntry(
  feature: string,
  reference: ReadonlyArray<string | null>,
  served: ReadonlyArray<string | null>,
  threshold = 0.2,
): ReportFeature {
  const ref = reference.filter((v): v is string => v !== null);
  const srv = served.filter((v): v is string => v !== null);
  const freq = new Map<string, number>();
  for (const v of ref) freq.set(v, (freq.get(v) ?? 0) + 1);
  const top = [...freq]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, 20)
    .map(([v]) => v);
  const share = (vs: readonly string[], c: string | null) => vs.filter((v) => (c === null ? !top.includes(v) : v === c)).length / vs.length;
  const bins: ReportBin[] = [...top, null].map((c) => ({
    label: c ?? 'other',
    lo: null,
    hi: null,
    reference: share(ref, c),
    served: share(srv, c),
  }));
  const psi = psiOf(bins);
  return {
    feature,
    type: 'categorical',
    psi,
    flagged: psi > threshold,
    nullShare: { reference: 1 - ref.length / reference.length, served: 1 - srv.length / served.length },
    outOfRange: 0,
    bins,
  };
}
