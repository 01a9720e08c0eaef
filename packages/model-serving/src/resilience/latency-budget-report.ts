/** How request-path stages compose: a stage name, stages run one after another, or stages run at once. */
export type StageLayout = string | { serial: readonly StageLayout[] } | { parallel: readonly StageLayout[] };

/** One stage's latency histogram: cumulative bucket counts by upper bound in seconds (Prometheus' shape). */
export interface HistogramSnapshot {
  buckets: ReadonlyArray<{ le: number; count: number }>;
  count: number;
  sum: number;
}

/** Quantiles of one stage, in milliseconds. */
export interface StageLatency {
  stage: string;
  count: number;
  meanMs: number;
  p50: number;
  p95: number;
  p99: number;
  /** The stage's budget, when one is known. */
  budgetMs?: number;
}

/** The latency budget report: per stage, the serial sum, the critical path and the measured total. */
export interface LatencyBudgetReport {
  stages: StageLatency[];
  /** Sum of every stage's quantile: the path as if nothing overlapped. */
  serialSum: { p50: number; p95: number; p99: number };
  /** The layout evaluated with parallel stages overlapped (max) and serial ones added, per quantile. */
  criticalPath: { p50: number; p95: number; p99: number; stages: string[] };
  /** The measured whole-request quantiles, when a total histogram is given. */
  total?: StageLatency;
  /** Budget of the whole request, when known. */
  totalBudgetMs?: number;
}

/**
 * The q-quantile of a histogram by linear interpolation inside the bucket, as PromQL's
 * histogram_quantile does; in milliseconds, NaN when the histogram is empty.
 */
export function histogramQuantileMs(h: HistogramSnapshot, q: number): number {
  if (h.count === 0) return NaN;
  const rank = q * h.count;
  let prevLe = 0;
  let prevCount = 0;
  const buckets = [...h.buckets].sort((a, b) => a.le - b.le);
  for (const b of buckets) {
    if (b.count >= rank) {
      // The +Inf bucket has no upper bound: answer the largest finite bound, as Prometheus does.
      if (!Number.isFinite(b.le)) return prevLe * 1000;
      const inBucket = b.count - prevCount;
      const frac = inBucket > 0 ? (rank - prevCount) / inBucket : 0;
      return (prevLe + (b.le - prevLe) * frac) * 1000;
    }
    prevLe = Number.isFinite(b.le) ? b.le : prevLe;
    prevCount = b.count;
  }
  return prevLe * 1000;
}

/**
 * Histograms by label value from prom-client's `histogram.get()` (one `_bucket` value per label
 * set and bound, plus `_sum` and `_count`).
 */
export function histogramsByLabel(
  metric: { values: ReadonlyArray<{ labels: Record<string, string | number>; value: number; metricName?: string }> },
  label: string,
): Map<string, HistogramSnapshot> {
  const out = new Map<string, { buckets: Array<{ le: number; count: number }>; count: number; sum: number }>();
  const of = (k: string) => {
    let h = out.get(k);
    if (!h) out.set(k, (h = { buckets: [], count: 0, sum: 0 }));
    return h;
  };
  for (const v of metric.values) {
    const key = String(v.labels[label] ?? '');
    const name = v.metricName ?? '';
    if (name.endsWith('_bucket')) {
      const le = v.labels.le;
      of(key).buckets.push({ le: le === '+Inf' ? Infinity : Number(le), count: v.value });
    } else if (name.endsWith('_sum')) of(key).sum = v.value;
    else if (name.endsWith('_count')) of(key).count = v.value;
  }
  return out;
}

const QUANTILES = { p50: 0.5, p95: 0.95, p99: 0.99 } as const;

/**
 * The latency budget report from live per-stage histograms: p50, p95 and p99 per stage, their
 * serial sum, and the critical path of `layout` with parallel stages overlapped. Quantiles do
 * not add exactly; the critical path adds the stages' own quantiles (an upper estimate), and the
 * measured total is reported beside it.
 * @example
 * latencyBudgetReport({ histograms, layout: { serial: [{ parallel: ['features', 'retrieval'] }, 'ranking', 'rerank'] }, total: 'total' })
 */
export function latencyBudgetReport(options: {
  histograms: ReadonlyMap<string, HistogramSnapshot>;
  layout: StageLayout;
  /** The stage whose histogram is the whole request. */
  total?: string;
  budgets?: Readonly<Record<string, number>>;
}): LatencyBudgetReport {
  const { histograms, layout, budgets = {} } = options;
  const leaves = leavesOf(layout);
  const latency = (stage: string): StageLatency => {
    const h = histograms.get(stage) ?? { buckets: [], count: 0, sum: 0 };
    const r = (q: number): number => round(histogramQuantileMs(h, q));
    return {
      stage,
      count: h.count,
      meanMs: h.count > 0 ? round((h.sum / h.count) * 1000) : NaN,
      p50: r(0.5),
      p95: r(0.95),
      p99: r(0.99),
      ...(budgets[stage] !== undefined ? { budgetMs: budgets[stage] } : {}),
    };
  };
  const stages = leaves.map(latency);
  const byName = new Map(stages.map((s) => [s.stage, s]));
  const serialSum = { p50: 0, p95: 0, p99: 0 };
  const critical = { p50: 0, p95: 0, p99: 0, stages: [] as string[] };
  for (const key of Object.keys(QUANTILES) as Array<keyof typeof QUANTILES>) {
    serialSum[key] = round(stages.reduce((a, s) => a + (Number.isFinite(s[key]) ? s[key] : 0), 0));
    const path = evaluate(layout, (s) => byName.get(s)?.[key] ?? NaN);
    critical[key] = round(path.ms);
    if (key === 'p95') critical.stages = path.stages;
  }
  const report: LatencyBudgetReport = { stages, serialSum, criticalPath: critical };
  if (options.total) report.total = latency(options.total);
  if (options.total && budgets[options.total] !== undefined) report.totalBudgetMs = budgets[options.total];
  return report;
}

function leavesOf(l: StageLayout): string[] {
  if (typeof l === 'string') return [l];
  return ('serial' in l ? l.serial : l.parallel).flatMap(leavesOf);
}

function evaluate(l: StageLayout, ms: (stage: string) => number): { ms: number; stages: string[] } {
  if (typeof l === 'string') {
    const v = ms(l);
    return { ms: Number.isFinite(v) ? v : 0, stages: Number.isFinite(v) ? [l] : [] };
  }
  const parts = ('serial' in l ? l.serial : l.parallel).map((p) => evaluate(p, ms));
  if ('serial' in l) return { ms: parts.reduce((a, p) => a + p.ms, 0), stages: parts.flatMap((p) => p.stages) };
  return parts.reduce((best, p) => (p.ms > best.ms ? p : best), { ms: 0, stages: [] as string[] });
}

const round = (x: number): number => (Number.isFinite(x) ? Math.round(x * 1000) / 1000 : x);
