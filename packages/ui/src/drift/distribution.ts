import path from 'node:path';
import type { FeatureViewSpec, FieldSpec } from '@frec/core';
import { isArrayType } from '@frec/core/spi';
import { batchSourceOf, sourceGlob } from '@frec/offline';
import { binsFromReport, categoricalBins, NUMERIC_BINS, numericBins, psi, TOP_CATEGORIES, type Bin } from './bins.js';
import { sqlDouble, sqlIdent, sqlString, type DuckSession } from './duck-session.js';
import { featureLogDates, featureLogGlob } from './feature-log.js';
import { readReport, reportDates, type SkewReportFeature } from './skew-reports.js';

const NUMERIC = new Set(['int32', 'int64', 'float32', 'float64', 'unix_timestamp']);

/** How a feature is binned: numeric (quantile edges), categorical (top categories), or not at all. */
export type FeatureKind = 'numeric' | 'categorical' | 'array';

/** The kind of binning a feature's type gets. */
export function featureKind(dtype: string): FeatureKind {
  if (isArrayType(dtype as FieldSpec['dtype'])) return 'array';
  return NUMERIC.has(dtype) ? 'numeric' : 'categorical';
}

/** One side (offline reference or served values) of a distribution. */
export interface SideSummary {
  available: boolean;
  /** Why the side has no data, when it has none. */
  note: string | null;
  rows: number;
  nullShare: number | null;
}

/** A feature's histogram of offline and served values, its PSI and its drift over time. */
export interface Distribution {
  view: string;
  feature: string;
  /** 'view:feature', as the feature log and skew reports name it. */
  ref: string;
  dtype: string;
  kind: FeatureKind;
  /** The served day shown. */
  date: string | null;
  /** Days with served values or a skew report, ascending. */
  dates: string[];
  reference: SideSummary & { kind: 'offline_source'; name: string };
  served: SideSummary;
  /** Shares of non-null values per bin. */
  bins: Array<{ label: string; lo: number | null; hi: number | null; reference: number; served: number }>;
  /** Where the bin edges came from: the day's skew report (so the PSI is comparable) or the reference's quantiles. */
  binsFrom: 'report' | 'reference' | null;
  /** PSI computed here over the data above; null without both sides. */
  psi: number | null;
  /** Share of served values outside the reference's range. */
  outOfRange: number | null;
  threshold: number;
  /** The day's skew report for this feature, when one exists. */
  report: { date: string; psi: number; flagged: boolean; referenceRows: number | null; servedRows: number | null } | null;
  reportError: string | null;
  /** PSI per day from every skew report naming this feature. */
  drift: Array<{ date: string; psi: number; flagged: boolean }>;
}

/** Where the console finds monitoring data, and the repo the sources are relative to. */
export interface DriftLocations {
  repoPath: string;
  featureLogDir: string;
  skewReportDir: string;
}

const DEFAULT_THRESHOLD = 0.2;

function binCase(bins: readonly Bin[], kind: 'numeric' | 'categorical'): string {
  if (kind === 'categorical') {
    const other = bins.findIndex((b) => b.category === null);
    const whens = bins.map((b, i) => (b.category === null ? '' : `WHEN v = ${sqlString(b.category)} THEN ${i}`)).filter(Boolean);
    return whens.length ? `CASE ${whens.join(' ')} ELSE ${other} END` : String(other);
  }
  const whens = bins.map((b, i) => {
    const lo = b.lo === null ? 'TRUE' : `v ${b.loClosed ? '>=' : '>'} ${sqlDouble(b.lo)}`;
    const hi = b.hi === null ? 'TRUE' : `v ${b.hiClosed ? '<=' : '<'} ${sqlDouble(b.hi)}`;
    return `WHEN ${lo} AND ${hi} THEN ${i}`;
  });
  return `CASE ${whens.join(' ')} ELSE -1 END`;
}

/** Counts rows, non-null values and values per bin of a relation with one column `v`. */
async function countBins(duck: DuckSession, relation: string, bins: readonly Bin[], kind: 'numeric' | 'categorical') {
  const [totals] = await duck.query(`SELECT count(*) AS n, count(v) AS nn FROM (${relation})`);
  const rows = Number(totals?.n ?? 0);
  const nonNull = Number(totals?.nn ?? 0);
  const counts = new Array<number>(bins.length).fill(0);
  if (nonNull > 0 && bins.length > 0) {
    const res = await duck.query(`SELECT ${binCase(bins, kind)} AS b, count(*) AS c FROM (${relation}) WHERE v IS NOT NULL GROUP BY b`);
    for (const r of res) {
      const b = Number(r.b);
      if (b >= 0 && b < counts.length) counts[b] = Number(r.c);
    }
  }
  return { rows, nonNull, counts };
}

function sourceColumnOf(view: FeatureViewSpec, feature: string): string {
  const src = batchSourceOf(view);
  for (const [from, to] of Object.entries(src.fieldMapping)) if (to === feature) return from;
  return feature;
}

/** The reference relation (`SELECT v FROM source`), or why there is none. */
async function referenceRelation(
  duck: DuckSession,
  view: FeatureViewSpec,
  feature: FieldSpec,
  kind: 'numeric' | 'categorical',
  repoPath: string,
): Promise<{ relation: string } | { note: string }> {
  const glob = sourceGlob(batchSourceOf(view), repoPath);
  const from = `read_parquet(${sqlString(glob)}, union_by_name = true)`;
  let columns: Set<string>;
  try {
    columns = new Set((await duck.query(`DESCRIBE SELECT * FROM ${from}`)).map((r) => String(r.column_name)));
  } catch {
    return { note: `no readable Parquet files at ${path.relative(repoPath, glob) || glob}` };
  }
  const col = sourceColumnOf(view, feature.name);
  if (!columns.has(col)) {
    return {
      note:
        view.aggregations.length > 0
          ? `'${feature.name}' is computed from the source's events (an aggregation), not a column of it`
          : `the source has no column '${col}'`,
    };
  }
  const v = kind === 'numeric' ? `TRY_CAST(${sqlIdent(col)} AS DOUBLE)` : `CAST(${sqlIdent(col)} AS VARCHAR)`;
  return { relation: `SELECT ${v} AS v FROM ${from}` };
}

async function referenceBins(duck: DuckSession, relation: string, kind: 'numeric' | 'categorical'): Promise<Bin[]> {
  if (kind === 'numeric') {
    const qs = Array.from({ length: NUMERIC_BINS + 1 }, (_, i) => i / NUMERIC_BINS);
    const [row] = await duck.query(`SELECT quantile_cont(v, [${qs.join(', ')}]) AS q FROM (${relation}) WHERE v IS NOT NULL`);
    const edges = (row?.q as number[] | null) ?? [];
    return numericBins(edges.map(Number));
  }
  const top = await duck.query(
    `SELECT v, count(*) AS c FROM (${relation}) WHERE v IS NOT NULL GROUP BY v ORDER BY c DESC, v LIMIT ${TOP_CATEGORIES}`,
  );
  return categoricalBins(top.map((r) => String(r.v)));
}

/**
 * A feature's distribution: the offline source's values (DuckDB over its Parquet) beside one day
 * of served values from the feature log, binned the same way, with PSI and null shares. When the
 * day's skew report lists the feature, its bins are used, so the PSI shown is computed over the
 * same bins as the report's and matches it for the same data.
 */
export async function featureDistribution(
  duck: DuckSession,
  where: DriftLocations,
  view: FeatureViewSpec,
  feature: FieldSpec,
  requestedDate?: string,
): Promise<Distribution> {
  const ref = `${view.name}:${feature.name}`;
  const kind = featureKind(feature.dtype);
  const [servedDates, reportDays] = await Promise.all([featureLogDates(where.featureLogDir), reportDates(where.skewReportDir)]);
  const dates = [...new Set([...servedDates, ...reportDays])].sort();
  const date = requestedDate ?? dates.at(-1) ?? null;

  const drift: Distribution['drift'] = [];
  let threshold = DEFAULT_THRESHOLD;
  let dayEntry: SkewReportFeature | undefined;
  let report: Distribution['report'] = null;
  let reportError: string | null = null;
  for (const d of reportDays) {
    const r = await readReport(where.skewReportDir, d);
    if (!r.report) {
      if (d === date) reportError = `the skew report of ${d} ${r.error}`;
      continue;
    }
    const entry = r.report.features.find((f) => f.feature === ref);
    if (entry) drift.push({ date: d, psi: entry.psi, flagged: entry.flagged });
    if (d === date) {
      threshold = r.report.threshold.psi;
      if (entry) {
        dayEntry = entry;
        report = {
          date: d,
          psi: entry.psi,
          flagged: entry.flagged,
          referenceRows: r.report.reference.rows ?? null,
          servedRows: r.report.served.rows ?? null,
        };
      }
    }
  }

  const base: Distribution = {
    view: view.name,
    feature: feature.name,
    ref,
    dtype: feature.dtype,
    kind,
    date,
    dates,
    reference: { kind: 'offline_source', name: batchSourceOf(view).name, available: false, note: null, rows: 0, nullShare: null },
    served: { available: false, note: null, rows: 0, nullShare: null },
    bins: [],
    binsFrom: null,
    psi: null,
    outOfRange: null,
    threshold,
    report,
    reportError,
    drift,
  };
  if (kind === 'array') {
    const note = 'array features are not binned (the feature log keeps their length only)';
    return { ...base, reference: { ...base.reference, note }, served: { ...base.served, note } };
  }

  const refRel = await referenceRelation(duck, view, feature, kind, where.repoPath);
  const servedRel =
    date && servedDates.includes(date)
      ? `SELECT ${kind === 'numeric' ? 'value_num' : 'COALESCE(value_str, CAST(value_num AS VARCHAR))'} AS v FROM read_parquet(${sqlString(
          featureLogGlob(where.featureLogDir, date),
        )}, union_by_name = true) WHERE feature = ${sqlString(ref)}`
      : null;

  let bins: Bin[] = [];
  if (dayEntry && dayEntry.bins.length > 0 && dayEntry.type === kind) {
    bins = binsFromReport(dayEntry.bins, kind);
    base.binsFrom = 'report';
  } else if ('relation' in refRel) {
    bins = await referenceBins(duck, refRel.relation, kind);
    base.binsFrom = 'reference';
  }

  const refCounts = 'relation' in refRel ? await countBins(duck, refRel.relation, bins, kind) : null;
  const servedCounts = servedRel ? await countBins(duck, servedRel, bins, kind) : null;
  const shares = (c: { nonNull: number; counts: number[] } | null) =>
    bins.map((_, i) => (c && c.nonNull > 0 ? c.counts[i]! / c.nonNull : 0));
  const refShares = shares(refCounts);
  const servedShares = shares(servedCounts);
  const side = (c: { rows: number; nonNull: number } | null, note: string | null): SideSummary =>
    c && c.rows > 0
      ? { available: true, note: null, rows: c.rows, nullShare: (c.rows - c.nonNull) / c.rows }
      : { available: false, note: c ? 'no rows' : note, rows: 0, nullShare: null };

  const outer = kind === 'numeric' ? bins.map((b, i) => (b.lo === null || b.hi === null ? i : -1)).filter((i) => i >= 0) : [];
  const both = refCounts && servedCounts && refCounts.nonNull > 0 && servedCounts.nonNull > 0;
  return {
    ...base,
    reference: { ...base.reference, ...side(refCounts, 'note' in refRel ? refRel.note : null) },
    served: side(servedCounts, date ? `no feature-log rows for ${ref} on ${date}` : 'no feature log yet'),
    bins: bins.map((b, i) => ({ label: b.label, lo: b.lo, hi: b.hi, reference: refShares[i]!, served: servedShares[i]! })),
    psi: both ? psi(refShares, servedShares) : null,
    outOfRange: both && kind === 'numeric' ? outer.reduce((a, i) => a + servedShares[i]!, 0) : null,
  };
}
