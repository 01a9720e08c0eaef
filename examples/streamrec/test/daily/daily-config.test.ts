import { describe, expect, it } from 'vitest';
import { holdoutFraction, pairedTolerance } from '../../src/daily/index.js';
import { DEFAULT_METRIC_TOLERANCE } from '../../src/rollout/index.js';
import { isoWeek } from '../../src/daily/replay.js';

describe('daily job settings', () => {
  it('holds out the day, or the newest 500 events when the day has fewer, at most half the data', () => {
    expect(holdoutFraction(100_000, 137)).toBeCloseTo(500 / 100_000);
    expect(holdoutFraction(100_000, 2000)).toBeCloseTo(2000 / 100_000);
    expect(holdoutFraction(600, 10)).toBe(0.5);
    expect(holdoutFraction(1000, 10, 100)).toBeCloseTo(0.1);
  });

  it('the paired tolerance: two standard errors of the per-request difference, at least 0.005, the whole range below 3 requests', () => {
    const a = Float64Array.from([0.5, 0.2, 0.0, 0.4]);
    const b = Float64Array.from([0.3, 0.2, 0.1, 0.2]);
    // Differences 0.2, 0, -0.1, 0.2: mean 0.075, sample sd 0.15, 2 * 0.15 / sqrt(4) = 0.15.
    expect(pairedTolerance(a, b)).toBeCloseTo(0.15, 10);
    // The same figures on both sides: no spread, the same-slice floor applies.
    expect(pairedTolerance(a, a)).toBe(DEFAULT_METRIC_TOLERANCE);
    expect(pairedTolerance(a.subarray(0, 2), b.subarray(0, 2))).toBe(1);
  });
});

describe('replay weeks', () => {
  it('labels days with their ISO week', () => {
    expect(isoWeek(Date.parse('2018-09-08T00:00:00Z'))).toBe('2018-W36');
    expect(isoWeek(Date.parse('2018-09-10T00:00:00Z'))).toBe('2018-W37');
    expect(isoWeek(Date.parse('2018-09-23T00:00:00Z'))).toBe('2018-W38');
    expect(isoWeek(Date.parse('2018-12-31T00:00:00Z'))).toBe('2019-W01');
    expect(isoWeek(Date.parse('2021-01-03T00:00:00Z'))).toBe('2020-W53');
  });
});
