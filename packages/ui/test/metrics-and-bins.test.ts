import { describe, expect, it } from 'vitest';
import { Counter, Histogram, Registry } from 'prom-client';
import {
  categoricalBins,
  histogramQuantile,
  numericBins,
  parsePrometheusText,
  psi,
  summarizeServing,
  registrySource,
  MetricsSampler,
} from '../src/index.js';

describe('Prometheus text parsing', () => {
  it('reads what prom-client writes, labels with escapes included', async () => {
    const reg = new Registry();
    const c = new Counter({ name: 'x_total', help: 'h', labelNames: ['route'], registers: [reg] });
    c.inc({ route: 'a"b\\c\nd' }, 3);
    const h = new Histogram({ name: 'lat_seconds', help: 'h', labelNames: ['stage'], buckets: [0.1, 1], registers: [reg] });
    h.observe({ stage: 'ranking' }, 0.05);
    h.observe({ stage: 'ranking' }, 0.5);
    const exp = parsePrometheusText(await reg.metrics());
    expect(exp.types.get('lat_seconds')).toBe('histogram');
    expect(exp.samples.find((s) => s.name === 'x_total')).toEqual({ name: 'x_total', labels: { route: 'a"b\\c\nd' }, value: 3 });
    expect(exp.samples.filter((s) => s.name === 'lat_seconds_bucket').map((s) => [s.labels.le, s.value])).toEqual([
      ['0.1', 1],
      ['1', 2],
      ['+Inf', 2],
    ]);
    expect(parsePrometheusText('garbage line {\nok 1\n').samples).toEqual([{ name: 'ok', labels: {}, value: 1 }]);
  });
});

describe('histogram quantiles, as PromQL computes them', () => {
  it('interpolates inside the bucket and stops at the highest finite bound', () => {
    const b = new Map([
      [0.1, 10],
      [0.5, 30],
      [1, 40],
      [Number.POSITIVE_INFINITY, 40],
    ]);
    // Rank 20 of 40 lies halfway through (0.1, 0.5]: 0.1 + 0.4 * (20 - 10) / 20.
    expect(histogramQuantile(0.5, b)).toBeCloseTo(0.3, 12);
    expect(histogramQuantile(0.99, b)).toBeCloseTo(0.5 + (0.5 * (39.6 - 30)) / 10, 12);
    expect(
      histogramQuantile(
        0.5,
        new Map([
          [0.1, 0],
          [Number.POSITIVE_INFINITY, 5],
        ]),
      ),
    ).toBe(0.1);
    expect(histogramQuantile(0.5, new Map([[Number.POSITIVE_INFINITY, 0]]))).toBeNull();
  });

  it('summarizes latency per stage with its budget, and rates between scrapes', async () => {
    const reg = new Registry();
    const h = new Histogram({
      name: 'frec_recommend_stage_seconds',
      help: 'h',
      labelNames: ['stage'],
      buckets: [0.01, 0.1],
      registers: [reg],
    });
    let now = 0;
    const sampler = new MetricsSampler([registrySource('rec', reg)], { minIntervalMs: 0, now: () => now });
    await sampler.sample();
    for (let i = 0; i < 10; i++) h.observe({ stage: 'ranking' }, 0.005);
    now = 2000;
    const s = summarizeServing(await sampler.sample(), { ranking: 80 });
    expect(s.stages).toEqual([
      expect.objectContaining({
        source: 'rec',
        name: 'ranking',
        count: 10,
        budgetMs: 80,
        window: expect.objectContaining({ count: 10, perSecond: 5 }),
      }),
    ]);
    expect(s.stages[0]!.p50Ms).toBeCloseTo(5, 9);
  });
});

describe('bins and PSI', () => {
  it('bins numeric values on deduplicated edges, with under- and overflow', () => {
    expect(numericBins([1, 1, 2, 3]).map((b) => b.label)).toEqual(['[-inf,1)', '[1,2)', '[2,3]', '(3,+inf]']);
    expect(numericBins([4, 4]).map((b) => b.label)).toEqual(['[-inf,4)', '[4,4]', '(4,+inf]']);
    expect(categoricalBins(['a', 'b']).map((b) => b.category)).toEqual(['a', 'b', null]);
  });

  it('floors shares at 1e-4, so an empty bin counts but is finite', () => {
    expect(psi([0.5, 0.5], [0.5, 0.5])).toBe(0);
    const v = psi([0.5, 0.5, 0], [0.4, 0.5, 0.1]);
    expect(v).toBeCloseTo(-0.1 * Math.log(0.4 / 0.5) + (0.1 - 1e-4) * Math.log(0.1 / 1e-4), 12);
  });
});
