import { numericBins, psi, quantileEdges, TOP_CATEGORIES, type SkewBin } from './psi.js';

/** Values of one feature on one side; null (or a status other than PRESENT) counts as null/default. */
export interface FeatureSample {
  values: ReadonlyArray<number | string | boolean | null | undefined>;
  /** Per value: PRESENT, NOT_FOUND, NULL_VALUE, OUTSIDE_MAX_AGE (a default was served); absent means PRESENT when non-null. */
  statuses?: ReadonlyArray<string | null | undefined>;
}

/** One feature's entry of a skew report (docs/monitoring-contract.md). */
export interface SkewFeature {
  feature: string;
  type: 'numeric' | 'categorical';
  psi: number;
  flagged: boolean;
  nullShare: { reference: number; served: number };
  /** Served share outside the reference's range (numeric) or categories (categorical). */
  outOfRange: number;
  rows: { reference: number; served: number };
  bins: SkewBin[];
}

/** A daily skew report, the file `data/monitoring/skew/YYYY-MM-DD.json`. */
export interface SkewReport {
  date: string;
  generatedAt: string;
  reference: { kind: 'training_set' | 'offline_source'; name: string; rows: number };
  served: { rows: number };
  threshold: { psi: number };
  features: SkewFeature[];
  /** Logged features with no reference values (not compared), and why. */
  skipped?: Array<{ feature: string; reason: string }>;
}

/** Default PSI over which a feature is flagged (the usual "significant shift" rule of thumb). */
export const DEFAULT_PSI_THRESHOLD = 0.2;

function present(sample: FeatureSample): { values: Array<number | string>; nulls: number } {
  const out: Array<number | string> = [];
  let nulls = 0;
  sample.values.forEach((v, i) => {
    const st = sample.statuses?.[i];
    if (v === null || v === undefined || (st && st !== 'PRESENT') || (typeof v === 'number' && Number.isNaN(v))) nulls++;
    else out.push(typeof v === 'boolean' ? String(v) : v);
  });
  return { values: out, nulls };
}

/** Compares one feature's served values with its reference values. */
export function compareFeature(
  feature: string,
  reference: FeatureSample,
  served: FeatureSample,
  threshold = DEFAULT_PSI_THRESHOLD,
): SkewFeature {
  const ref = present(reference);
  const srv = present(served);
  const share = (n: number, d: number): number => (d > 0 ? n / d : 0);
  const numeric = ref.values.length > 0 && ref.values.every((v) => typeof v === 'number');
  let bins: SkewBin[];
  let outOfRange: number;
  if (numeric) {
    const edges = quantileEdges(ref.values as number[]);
    const { bins: shape, binOf } = numericBins(edges);
    const rc = new Array<number>(shape.length).fill(0);
    const sc = new Array<number>(shape.length).fill(0);
    for (const v of ref.values as number[]) rc[binOf(v)]!++;
    let srvNumeric = 0;
    for (const v of srv.values) {
      const x = typeof v === 'number' ? v : Number(v);
      if (!Number.isFinite(x)) continue;
      srvNumeric++;
      sc[binOf(x)]!++;
    }
    bins = shape.map((b, i) => ({ ...b, reference: share(rc[i]!, ref.values.length), served: share(sc[i]!, srvNumeric) }));
    outOfRange = share(sc[0]! + sc[shape.length - 1]!, srvNumeric);
  } else {
    const counts = new Map<string, number>();
    for (const v of ref.values) counts.set(String(v), (counts.get(String(v)) ?? 0) + 1);
    const top = [...counts.entries()]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, TOP_CATEGORIES)
      .map(([c]) => c);
    const index = new Map(top.map((c, i) => [c, i]));
    const rc = new Array<number>(top.length + 1).fill(0);
    const sc = new Array<number>(top.length + 1).fill(0);
    for (const v of ref.values) rc[index.get(String(v)) ?? top.length]!++;
    let unseen = 0;
    for (const v of srv.values) {
      sc[index.get(String(v)) ?? top.length]!++;
      if (!counts.has(String(v))) unseen++;
    }
    bins = [...top, 'other'].map((label, i) => ({
      label,
      lo: null,
      hi: null,
      reference: share(rc[i]!, ref.values.length),
      served: share(sc[i]!, srv.values.length),
    }));
    outOfRange = share(unseen, srv.values.length);
  }
  const value =
    srv.values.length > 0 && ref.values.length > 0
      ? psi(
          bins.map((b) => b.reference),
          bins.map((b) => b.served),
        )
      : 0;
  return {
    feature,
    type: numeric ? 'numeric' : 'categorical',
    psi: round(value),
    flagged: value > threshold,
    nullShare: { reference: round(share(ref.nulls, reference.values.length)), served: round(share(srv.nulls, served.values.length)) },
    outOfRange: round(outOfRange),
    rows: { reference: reference.values.length, served: served.values.length },
    bins: bins.map((b) => ({ ...b, reference: round(b.reference), served: round(b.served) })),
  };
}

/**
 * The daily skew report: every served feature against its reference (the training set's values,
 * or the offline source's), with PSI, null/default shares and out-of-range share; a feature
 * whose PSI is over `threshold` is flagged.
 */
export function computeSkewReport(options: {
  date: string;
  reference: { kind: SkewReport['reference']['kind']; name: string; rows?: number; features: ReadonlyMap<string, FeatureSample> };
  served: { rows?: number; features: ReadonlyMap<string, FeatureSample> };
  threshold?: number;
  now?: Date;
}): SkewReport {
  const threshold = options.threshold ?? DEFAULT_PSI_THRESHOLD;
  const features: SkewFeature[] = [];
  const skipped: Array<{ feature: string; reason: string }> = [];
  for (const [name, served] of [...options.served.features].sort((a, b) => a[0].localeCompare(b[0]))) {
    const ref = options.reference.features.get(name);
    if (!ref || ref.values.length === 0) {
      skipped.push({ feature: name, reason: `no reference values in ${options.reference.kind} '${options.reference.name}'` });
      continue;
    }
    features.push(compareFeature(name, ref, served, threshold));
  }
  const refRows = options.reference.rows ?? Math.max(0, ...[...options.reference.features.values()].map((s) => s.values.length));
  return {
    date: options.date,
    generatedAt: (options.now ?? new Date()).toISOString(),
    reference: { kind: options.reference.kind, name: options.reference.name, rows: refRows },
    served: { rows: options.served.rows ?? [...options.served.features.values()].reduce((a, s) => a + s.values.length, 0) },
    threshold: { psi: threshold },
    features,
    ...(skipped.length ? { skipped } : {}),
  };
}

const round = (x: number): number => Math.round(x * 1e6) / 1e6;
