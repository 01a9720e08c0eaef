import { describe, expect, it } from 'vitest';
import { foldOf } from '../src/pipeline/steps/ranker-set.js';

describe('cross-fitted blend folds', () => {
  it('puts each user in one fold, the same on every call, with folds of similar size', () => {
    for (const folds of [2, 4]) {
      const sizes = new Array(folds).fill(0);
      for (let u = 0; u < 4000; u++) {
        const f = foldOf(u, folds, 42);
        expect(f).toBe(foldOf(u, folds, 42));
        expect(f).toBeGreaterThanOrEqual(0);
        expect(f).toBeLessThan(folds);
        sizes[f]++;
      }
      for (const n of sizes) expect(Math.abs(n - 4000 / folds)).toBeLessThan(4000 / folds / 10);
    }
    // Another seed, another assignment.
    const moved = Array.from({ length: 200 }, (_, u) => foldOf(u, 2, 42) !== foldOf(u, 2, 7)).filter(Boolean).length;
    expect(moved).toBeGreaterThan(50);
  });
});
