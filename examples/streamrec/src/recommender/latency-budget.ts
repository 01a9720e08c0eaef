import { latencyBudgetReport, histogramsByLabel, type LatencyBudgetReport, type StageLayout } from '@frec/model-serving/resilience';
import type { Recommender } from './recommender.js';

/**
 * The request path's stage layout: the feature lookup runs beside retrieval (whose sources run
 * in parallel), then ranking, then re-ranking (ADR 0070).
 */
export function requestPathLayout(sources: readonly string[]): StageLayout {
  return { serial: [{ parallel: ['features', { parallel: sources.map((s) => `retrieval_${s}`) }] }, 'ranking', 'rerank'] };
}

/** The latency budget report of a recommender from its live per-stage histograms (GET /latency-budget). */
export async function recommenderLatencyReport(rec: Recommender): Promise<LatencyBudgetReport> {
  const sources = [...rec.stages.sources.keys()];
  const histograms = histogramsByLabel(await rec.metrics.stageSeconds.get(), 'stage');
  const b = rec.budgets;
  const budgets: Record<string, number> = { features: b.features, ranking: b.ranking, total: b.total };
  for (const s of sources) budgets[`retrieval_${s}`] = b.retrieval;
  return latencyBudgetReport({ histograms, layout: requestPathLayout(sources), total: 'total', budgets });
}

/** The report as a plain-text table (the StreamRec `monitor latency` command prints it). */
export function formatLatencyReport(r: LatencyBudgetReport): string {
  const f = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(2));
  const rows = [['STAGE', 'COUNT', 'P50 MS', 'P95 MS', 'P99 MS', 'BUDGET MS']];
  for (const s of r.stages) rows.push([s.stage, String(s.count), f(s.p50), f(s.p95), f(s.p99), f(s.budgetMs)]);
  rows.push(['serial sum', '', f(r.serialSum.p50), f(r.serialSum.p95), f(r.serialSum.p99), '']);
  rows.push(['critical path', '', f(r.criticalPath.p50), f(r.criticalPath.p95), f(r.criticalPath.p99), f(r.totalBudgetMs)]);
  if (r.total) rows.push(['measured total', String(r.total.count), f(r.total.p50), f(r.total.p95), f(r.total.p99), f(r.totalBudgetMs)]);
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((x) => x[i]!.length)));
  const lines = rows.map((x) => x.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  '));
  lines.push(`critical path at p95: ${r.criticalPath.stages.join(' -> ')}`);
  return lines.join('\n');
}
