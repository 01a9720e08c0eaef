import { bucketDelta, histogramQuantile, type Buckets } from './histogram-quantile.js';
import type { MetricsSnapshot } from './metric-sources.js';
import type { Exposition } from './prometheus-text.js';

/** Latency of one endpoint or stage: all-time since the process started, and over the recent window. */
export interface LatencyRow {
  source: string;
  name: string;
  count: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  /** The recent window (between two scrapes); null until a second scrape exists. */
  window: { count: number; perSecond: number; p50Ms: number | null; p95Ms: number | null; p99Ms: number | null } | null;
  /** The stage's latency budget, when configured. */
  budgetMs: number | null;
}

/** An HTTP endpoint: latency plus server errors (5xx) and rejected requests (4xx). */
export interface EndpointRow extends LatencyRow {
  method: string;
  serverErrors: number;
  rejected: number;
  /** 5xx share of all requests since start. */
  errorRate: number;
  /** 5xx share in the recent window; null without one. */
  windowErrorRate: number | null;
}

/** A shadow model version scored beside production. */
export interface ShadowRow {
  source: string;
  version: string;
  requests: number;
  errors: number;
  nonFinite: number;
  meanRankOverlap: number | null;
  meanScoreDiff: number | null;
}

/** Everything the serving page shows. */
export interface ServingSummary {
  sampledAt: string;
  windowSeconds: number | null;
  sources: Array<{ name: string; ok: boolean; error: string | null }>;
  endpoints: EndpointRow[];
  stages: LatencyRow[];
  shadow: ShadowRow[];
  modelAge: Array<{ source: string; model: string; seconds: number }>;
  /** Requests and 5xx per second between consecutive scrapes, all endpoints together. */
  rate: Array<{ atMs: number; perSecond: number; errorsPerSecond: number }>;
}

const HTTP_FAMILY = 'frec_http_request_duration_seconds';
const STAGE_FAMILY = 'frec_recommend_stage_seconds';
const WINDOW_MS = 60_000;
/** The console's own routes, counted by the feature server it is mounted in, are not serving traffic. */
const CONSOLE_ROUTE = /^\/(api|ui)(\/|$)/;

interface Series {
  labels: Record<string, string>;
  buckets: Buckets;
}

/** Histogram series of one family, grouped by the given labels (bucket counts summed over the rest). */
function histograms(exp: Exposition | null, family: string, by: readonly string[]): Map<string, Series> {
  const out = new Map<string, Series>();
  if (!exp) return out;
  for (const s of exp.samples) {
    if (s.name !== `${family}_bucket`) continue;
    const le = s.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(s.labels.le);
    if (Number.isNaN(le)) continue;
    const labels = Object.fromEntries(by.map((k) => [k, s.labels[k] ?? '']));
    const key = JSON.stringify(labels);
    let series = out.get(key);
    if (!series) out.set(key, (series = { labels, buckets: new Map() }));
    series.buckets.set(le, (series.buckets.get(le) ?? 0) + s.value);
  }
  return out;
}

const ms = (s: number | null): number | null => (s === null ? null : s * 1000);
const total = (b: Buckets | undefined): number => (b ? (b.get(Number.POSITIVE_INFINITY) ?? Math.max(0, ...b.values())) : 0);

function latency(
  source: string,
  name: string,
  now: Buckets,
  before: Buckets | undefined,
  windowSeconds: number | null,
  budgetMs: number | null,
): LatencyRow {
  const window = before && windowSeconds ? bucketDelta(now, before) : null;
  const windowCount = window ? total(window) : 0;
  return {
    source,
    name,
    count: total(now),
    p50Ms: ms(histogramQuantile(0.5, now)),
    p95Ms: ms(histogramQuantile(0.95, now)),
    p99Ms: ms(histogramQuantile(0.99, now)),
    window:
      window && windowSeconds
        ? {
            count: windowCount,
            perSecond: windowCount / windowSeconds,
            p50Ms: ms(histogramQuantile(0.5, window)),
            p95Ms: ms(histogramQuantile(0.95, window)),
            p99Ms: ms(histogramQuantile(0.99, window)),
          }
        : null,
    budgetMs,
  };
}

function sum(exp: Exposition | null, name: string, label: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of exp?.samples ?? []) if (s.name === name) out.set(s.labels[label] ?? '', (out.get(s.labels[label] ?? '') ?? 0) + s.value);
  return out;
}

/** Request totals and 5xx totals of one scrape of one source, console routes left out. */
function requestTotals(exp: Exposition | null): { requests: number; errors: number } {
  let requests = 0;
  let errors = 0;
  for (const s of exp?.samples ?? []) {
    if (s.name !== `${HTTP_FAMILY}_count` || CONSOLE_ROUTE.test(s.labels.route ?? '')) continue;
    requests += s.value;
    if (Number(s.labels.status) >= 500) errors += s.value;
  }
  return { requests, errors };
}

/**
 * Summarizes scrapes for the serving page: per endpoint (route and method) and per recommender
 * stage, counts and p50/p95/p99 since start and over the last minute (PromQL's histogram_quantile),
 * 5xx and 4xx shares, shadow-model comparisons, model age, and the request rate over time.
 */
export function summarizeServing(snapshots: readonly MetricsSnapshot[], budgetsMs: Record<string, number> = {}): ServingSummary {
  const latest = snapshots.at(-1);
  if (!latest) {
    return {
      sampledAt: new Date().toISOString(),
      windowSeconds: null,
      sources: [],
      endpoints: [],
      stages: [],
      shadow: [],
      modelAge: [],
      rate: [],
    };
  }
  const older = snapshots.slice(0, -1);
  const base = older.find((s) => s.atMs >= latest.atMs - WINDOW_MS) ?? older.at(-1);
  const windowSeconds = base ? (latest.atMs - base.atMs) / 1000 : null;
  const endpoints: EndpointRow[] = [];
  const stages: LatencyRow[] = [];
  const shadow: ShadowRow[] = [];
  const modelAge: ServingSummary['modelAge'] = [];
  latest.bySource.forEach((src, i) => {
    const exp = src.exposition;
    const before = base?.bySource[i]?.name === src.name ? (base.bySource[i]?.exposition ?? null) : null;
    // Per status, to split 2xx/4xx/5xx; then summed per route and method for latency.
    const byStatus = histograms(exp, HTTP_FAMILY, ['route', 'method', 'status']);
    const beforeByStatus = histograms(before, HTTP_FAMILY, ['route', 'method', 'status']);
    const routes = new Map<string, { route: string; method: string; now: Buckets; before: Buckets; s5: number; s4: number; w5: number }>();
    for (const [key, series] of byStatus) {
      const { route = '', method = '', status = '' } = series.labels;
      if (CONSOLE_ROUTE.test(route)) continue;
      const rk = `${method} ${route}`;
      let r = routes.get(rk);
      if (!r) routes.set(rk, (r = { route, method, now: new Map(), before: new Map(), s5: 0, s4: 0, w5: 0 }));
      const prev = beforeByStatus.get(key)?.buckets;
      for (const [le, c] of series.buckets) r.now.set(le, (r.now.get(le) ?? 0) + c);
      for (const [le, c] of prev ?? []) r.before.set(le, (r.before.get(le) ?? 0) + c);
      const n = total(series.buckets);
      const code = Number(status);
      if (code >= 500) {
        r.s5 += n;
        r.w5 += n - total(prev);
      } else if (code >= 400) r.s4 += n;
    }
    for (const r of routes.values()) {
      const row = latency(src.name, r.route, r.now, before ? r.before : undefined, windowSeconds, null);
      endpoints.push({
        ...row,
        method: r.method,
        serverErrors: r.s5,
        rejected: r.s4,
        errorRate: row.count > 0 ? r.s5 / row.count : 0,
        windowErrorRate: row.window && row.window.count > 0 ? Math.max(0, r.w5) / row.window.count : row.window ? 0 : null,
      });
    }
    const stageNow = histograms(exp, STAGE_FAMILY, ['stage']);
    const stageBefore = histograms(before, STAGE_FAMILY, ['stage']);
    for (const [key, series] of stageNow) {
      const stage = series.labels.stage ?? '';
      // A stage first seen after the earlier scrape had no observations then.
      const prev = before ? (stageBefore.get(key)?.buckets ?? new Map<number, number>()) : undefined;
      stages.push(latency(src.name, stage, series.buckets, prev, windowSeconds, budgetsMs[stage] ?? null));
    }
    const requests = sum(exp, 'frec_recommend_shadow_requests_total', 'version');
    const errors = sum(exp, 'frec_recommend_shadow_errors_total', 'version');
    const nonFinite = sum(exp, 'frec_recommend_shadow_nonfinite_scores_total', 'version');
    const overlapSum = sum(exp, 'frec_recommend_shadow_rank_overlap_sum', 'version');
    const overlapCount = sum(exp, 'frec_recommend_shadow_rank_overlap_count', 'version');
    const diffSum = sum(exp, 'frec_recommend_shadow_score_abs_diff_sum', 'version');
    const diffCount = sum(exp, 'frec_recommend_shadow_score_abs_diff_count', 'version');
    for (const [version, n] of requests) {
      const oc = overlapCount.get(version) ?? 0;
      const dc = diffCount.get(version) ?? 0;
      shadow.push({
        source: src.name,
        version,
        requests: n,
        errors: errors.get(version) ?? 0,
        nonFinite: nonFinite.get(version) ?? 0,
        meanRankOverlap: oc > 0 ? (overlapSum.get(version) ?? 0) / oc : null,
        meanScoreDiff: dc > 0 ? (diffSum.get(version) ?? 0) / dc : null,
      });
    }
    for (const s of exp?.samples ?? [])
      if (s.name === 'frec_model_age_seconds') modelAge.push({ source: src.name, model: s.labels.model ?? '', seconds: s.value });
  });
  const rate: ServingSummary['rate'] = [];
  for (let k = 1; k < snapshots.length; k++) {
    const a = snapshots[k - 1]!;
    const b = snapshots[k]!;
    const dt = (b.atMs - a.atMs) / 1000;
    if (dt <= 0) continue;
    let req = 0;
    let err = 0;
    b.bySource.forEach((src, i) => {
      const now = requestTotals(src.exposition);
      const prev = a.bySource[i]?.name === src.name ? requestTotals(a.bySource[i]!.exposition) : { requests: 0, errors: 0 };
      // A restarted process counts from zero again: its new total is the window's.
      req += now.requests >= prev.requests ? now.requests - prev.requests : now.requests;
      err += now.errors >= prev.errors ? now.errors - prev.errors : now.errors;
    });
    rate.push({ atMs: b.atMs, perSecond: req / dt, errorsPerSecond: err / dt });
  }
  const order = (a: LatencyRow, b: LatencyRow) => a.source.localeCompare(b.source) || a.name.localeCompare(b.name);
  return {
    sampledAt: new Date(latest.atMs).toISOString(),
    windowSeconds,
    sources: latest.bySource.map((s) => ({ name: s.name, ok: s.error === null, error: s.error })),
    endpoints: endpoints.sort(order),
    stages: stages.sort(order),
    shadow,
    modelAge,
    rate,
  };
}
