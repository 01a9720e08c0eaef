import { describe, expect, it } from 'vitest';
import { DAILY_METRIC_TOLERANCE, holdoutFraction, sliceTolerance } from '../../src/daily/index.js';

describe('daily job settings', () => {
  it('holds out the day, or the newest 500 events when the day has fewer, at most half the data', () => {
    expect(holdoutFraction(100_000, 137)).toBeCloseTo(500 / 100_000);
    expect(holdoutFraction(100_000, 2000)).toBeCloseTo(2000 / 100_000);
    expect(holdoutFraction(600, 10)).toBe(0.5);
    expect(holdoutFraction(1000, 10, 100)).toBeCloseTo(0.1);
  });

  it('widens the gate tolerance to two standard errors of two slices of the registered sizes', () => {
    // 10 users on each side: 2 * 0.3 * sqrt(0.2).
    expect(sliceTolerance(10, 10)).toBeCloseTo(0.2683, 4);
    // A 2-user production slice makes its figure nearly meaningless.
    expect(sliceTolerance(10, 2)).toBeGreaterThan(0.45);
    // Large slices: the fixed floor applies (the caller takes the larger one).
    expect(Math.max(DAILY_METRIC_TOLERANCE, sliceTolerance(5000, 5000))).toBe(DAILY_METRIC_TOLERANCE);
    expect(sliceTolerance(0, 10)).toBe(1);
  });
});
