import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { seededRandom } from '@frec/core/spi';
import {
  FeatureLogger,
  SkewGauges,
  compareFeature,
  computeSkewReport,
  engagementReport,
  isoWeekStart,
  latestSkewReport,
  psi,
  readFeatureLogDay,
  writeSkewReport,
} from '../src/index.js';

const root = mkdtempSync(path.join(tmpdir(), 'frec-skew-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const normal = (rand: () => number, mean: number, sd: number) => () =>
  mean + sd * Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());

describe('skew report', () => {
  it('PSI is about 0 for the same distribution and flags a shifted one; bins are reference deciles with under/overflow', () => {
    const rand = seededRandom(11);
    const ref = Array.from({ length: 5000 }, normal(rand, 3.5, 0.5));
    const same = Array.from({ length: 2000 }, normal(rand, 3.5, 0.5));
    const shifted = Array.from({ length: 2000 }, normal(rand, 4.0, 0.5));
    const a = compareFeature('user_stats:mean_rating', { values: ref }, { values: same });
    const b = compareFeature('user_stats:mean_rating', { values: ref }, { values: shifted });
    expect(a.type).toBe('numeric');
    expect(a.psi).toBeLessThan(0.02);
    expect(a.flagged).toBe(false);
    expect(b.psi).toBeGreaterThan(0.2);
    expect(b.flagged).toBe(true);
    expect(a.bins).toHaveLength(12);
    expect(a.bins[0]!.label).toMatch(/^\[-inf,/);
    expect(a.bins.at(-1)!.label).toMatch(/,\+inf\]$/);
    expect(a.bins.at(-2)!.label).toMatch(/\]$/);
    for (const bin of a.bins.slice(1, -1)) expect(bin.reference).toBeCloseTo(0.1, 3);
    expect(b.outOfRange).toBeGreaterThan(a.outOfRange);
    expect(psi([0.5, 0.5], [0.5, 0.5])).toBe(0);
    // An empty bin is floored at 1e-4, so the PSI stays finite.
    expect(Number.isFinite(psi([1, 0], [0, 1]))).toBe(true);
  });

  it('null/default shares count nulls and non-PRESENT statuses; categorical features use top categories + other', () => {
    const c = compareFeature(
      'item:genre',
      { values: ['drama', 'drama', 'comedy', null] },
      { values: ['drama', 'horror', 'comedy', 'drama'], statuses: ['PRESENT', 'PRESENT', 'PRESENT', 'NOT_FOUND'] },
    );
    expect(c.type).toBe('categorical');
    expect(c.nullShare).toEqual({ reference: 0.25, served: 0.25 });
    expect(c.bins.map((b) => b.label)).toEqual(['drama', 'comedy', 'other']);
    expect(c.outOfRange).toBeCloseTo(1 / 3, 6);
  });

  it('from a real feature log day to the report file and the Prometheus gauges', async () => {
    const dir = path.join(root, 'flog');
    const log = new FeatureLogger({ dir, sampleRate: 1, writer: 'test', flushIntervalMs: 0 });
    const rand = seededRandom(5);
    const served = normal(rand, 4.2, 0.5);
    for (let i = 0; i < 300; i++)
      log.logRow({
        requestId: `r${i}`,
        servedAt: new Date('2026-12-01T12:00:00Z'),
        service: 'ranker_v1',
        entityKey: `user_id=${i}`,
        values: { 'user_stats:mean_rating': i % 10 === 0 ? null : served(), 'user_stats:n_ratings': 20 + (i % 7) },
      });
    await log.close();
    const day = await readFeatureLogDay(dir, '2026-12-01');
    expect(day.rows).toBe(600);
    const ref = normal(seededRandom(6), 3.5, 0.5);
    const report = computeSkewReport({
      date: '2026-12-01',
      reference: {
        kind: 'training_set',
        name: 'ranker v3',
        features: new Map([
          ['user_stats:mean_rating', { values: Array.from({ length: 3000 }, ref) }],
          ['user_stats:n_ratings', { values: Array.from({ length: 3000 }, (_, i) => 20 + (i % 7)) }],
        ]),
      },
      served: day,
      now: new Date('2026-12-02T00:10:00Z'),
    });
    expect(report.features.map((f) => [f.feature, f.flagged])).toEqual([
      ['user_stats:mean_rating', true],
      ['user_stats:n_ratings', false],
    ]);
    expect(report.features[0]!.nullShare.served).toBeCloseTo(0.1, 6);
    expect(report).toMatchObject({ reference: { kind: 'training_set', rows: 3000 }, served: { rows: 600 }, threshold: { psi: 0.2 } });
    const file = await writeSkewReport(path.join(root, 'skew'), report);
    expect(path.basename(file)).toBe('2026-12-01.json');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(report);
    expect(await readFeatureLogDay(dir, '2026-12-09')).toEqual({ rows: 0, features: new Map() });

    await writeSkewReport(path.join(root, 'skew'), { ...report, date: '2026-11-30', features: [] });
    expect((await latestSkewReport(path.join(root, 'skew')))!.date).toBe('2026-12-01');
    const registry = new Registry();
    new SkewGauges(registry, { reportDir: path.join(root, 'skew') });
    const text = await registry.metrics();
    expect(text).toContain(`frec_feature_psi{feature="user_stats:mean_rating"} ${report.features[0]!.psi}`);
    expect(text).toContain('frec_feature_skew_flagged{feature="user_stats:mean_rating"} 1');
    expect(text).toContain('frec_feature_skew_flagged{feature="user_stats:n_ratings"} 0');
    expect(text).toMatch(/frec_feature_null_share\{feature="user_stats:mean_rating",side="served"\} 0\.1\b/);
  });
});

describe('engagement report', () => {
  it('CTR proxy, hit rate and weekly coverage against the target, from impressions and the interactions after them', () => {
    const t = Date.UTC(2026, 11, 1, 12); // a Tuesday
    const day = 86_400_000;
    const imps = [
      { requestId: 'a', userId: '1', itemId: '10', position: 0, servedAt: t, modelVersion: 'ranker@1' },
      { requestId: 'a', userId: '1', itemId: '11', position: 1, servedAt: t, modelVersion: 'ranker@1' },
      { requestId: 'b', userId: '2', itemId: '10', position: 0, servedAt: t, modelVersion: 'ranker@2' },
      { requestId: 'c', userId: '3', itemId: '12', position: 0, servedAt: t + 7 * day, modelVersion: 'ranker@2' },
    ];
    const interactions = [
      { userId: '1', itemId: '11', at: t + 3_600_000 },
      // Before serving: does not count.
      { userId: '2', itemId: '10', at: t - 1 },
      // After the 7-day window.
      { userId: '3', itemId: '12', at: t + 15 * day },
    ];
    const r = engagementReport({ impressions: imps, interactions, catalogSize: 4, coverageTarget: 0.95 });
    expect(r.overall).toEqual({ impressions: 4, lists: 3, engaged: 1, ctrProxy: 0.25, hitRate: 0.333333, itemsShown: 3 });
    expect(r.byModel['ranker@1']).toMatchObject({ engaged: 1, ctrProxy: 0.5, hitRate: 1 });
    expect(r.byModel['ranker@2']).toMatchObject({ engaged: 0, hitRate: 0 });
    expect(r.weeks.map((w) => [w.week, w.itemsShown, w.coverage, w.meetsTarget])).toEqual([
      ['2026-11-30', 2, 0.5, false],
      ['2026-12-07', 1, 0.25, false],
    ]);
    expect(isoWeekStart(Date.UTC(2026, 10, 30))).toBe('2026-11-30');
    expect(isoWeekStart(Date.UTC(2026, 11, 6, 23))).toBe('2026-11-30');
  });
});
