import { describe, expect, it } from 'vitest';
import { Histogram, Registry } from 'prom-client';
import { histogramQuantileMs, histogramsByLabel, latencyBudgetReport } from '../src/resilience/index.js';

describe('latency budget report', () => {
  it('interpolates quantiles inside buckets as histogram_quantile does', () => {
    // 100 observations: 50 in (0, 10 ms], 40 in (10, 20 ms], 10 in (20, 50 ms].
    const h = {
      buckets: [
        { le: 0.01, count: 50 },
        { le: 0.02, count: 90 },
        { le: 0.05, count: 100 },
        { le: Infinity, count: 100 },
      ],
      count: 100,
      sum: 1.2,
    };
    expect(histogramQuantileMs(h, 0.5)).toBeCloseTo(10, 9);
    expect(histogramQuantileMs(h, 0.95)).toBeCloseTo(35, 9);
    expect(histogramQuantileMs(h, 0.75)).toBeCloseTo(16.25, 9);
    expect(histogramQuantileMs({ buckets: [], count: 0, sum: 0 }, 0.5)).toBeNaN();
  });

  it('reports per-stage quantiles, the serial sum, and the critical path with parallel stages overlapped, from prom-client histograms', async () => {
    const registry = new Registry();
    const stage = new Histogram({
      name: 'stage_seconds',
      help: 'h',
      labelNames: ['stage'],
      buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1],
      registers: [registry],
    });
    // features 4 ms, two parallel sources 8 and 3 ms, ranking 15 ms, rerank 0.5 ms, total about 24 ms.
    for (let i = 0; i < 200; i++) {
      stage.observe({ stage: 'features' }, 0.004);
      stage.observe({ stage: 'retrieval_a' }, 0.008);
      stage.observe({ stage: 'retrieval_b' }, 0.003);
      stage.observe({ stage: 'ranking' }, 0.015);
      stage.observe({ stage: 'rerank' }, 0.0005);
      stage.observe({ stage: 'total' }, 0.024);
    }
    const histograms = histogramsByLabel(await stage.get(), 'stage');
    const r = latencyBudgetReport({
      histograms,
      layout: { serial: [{ parallel: ['features', { parallel: ['retrieval_a', 'retrieval_b'] }] }, 'ranking', 'rerank'] },
      total: 'total',
      budgets: { features: 50, ranking: 80, total: 180 },
    });
    const p95 = Object.fromEntries(r.stages.map((s) => [s.stage, s.p95]));
    // Each observation sits at its bucket's top edge region: the p95 is inside the bucket holding it.
    expect(p95.features).toBeGreaterThan(2);
    expect(p95.features).toBeLessThanOrEqual(5);
    expect(p95.retrieval_a).toBeGreaterThan(5);
    expect(p95.retrieval_a).toBeLessThanOrEqual(10);
    expect(p95.ranking).toBeGreaterThan(10);
    expect(p95.ranking).toBeLessThanOrEqual(20);
    expect(r.serialSum.p95).toBeCloseTo(p95.features! + p95.retrieval_a! + p95.retrieval_b! + p95.ranking! + p95.rerank!, 6);
    expect(r.criticalPath.p95).toBeCloseTo(p95.retrieval_a! + p95.ranking! + p95.rerank!, 6);
    expect(r.criticalPath.stages).toEqual(['retrieval_a', 'ranking', 'rerank']);
    expect(r.criticalPath.p95).toBeLessThan(r.serialSum.p95);
    expect(r.total).toMatchObject({ stage: 'total', count: 200 });
    expect(r.totalBudgetMs).toBe(180);
    expect(r.stages.find((s) => s.stage === 'ranking')).toMatchObject({ count: 200, budgetMs: 80, meanMs: 15 });
  });
});
