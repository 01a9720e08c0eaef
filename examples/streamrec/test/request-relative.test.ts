import { describe, expect, it } from 'vitest';
import { REQUEST_RELATIVE_NAMES, RELATIVE_SOURCE_NAMES, writeRequestRelative } from '../src/ranking/request-relative.js';
import { RANKER_FEATURE_NAMES, RELATIVE_AT, writeRelativeColumns } from '../src/training-sets/build-training-sets.js';

describe('request-relative ranker inputs', () => {
  it('writes each source column z-scored and log-ranked within the request only', () => {
    // Two requests of 3 rows, width 6: sources in columns 0 and 1, their relative columns at 2..5.
    const d = 6;
    const x = new Float32Array(6 * d);
    const rows = [
      [1, 5],
      [3, 5],
      [2, 5],
      [100, 0],
      [300, 1],
      [200, 2],
    ];
    rows.forEach((r, i) => x.set(r, i * d));
    writeRequestRelative(x, 0, 3, d, [0, 1], 2);
    writeRequestRelative(x, 3, 3, d, [0, 1], 2);
    const col = (c: number): number[] => Array.from({ length: 6 }, (_, i) => x[i * d + c]!);
    const sd = Math.sqrt(2 / 3);
    // Column 0 orders both requests alike, whatever its scale: same z and rank in each.
    expect(col(2).map((v) => Number(v.toFixed(5)))).toEqual([-1 / sd, 1 / sd, 0, -1 / sd, 1 / sd, 0].map((v) => Number(v.toFixed(5))));
    expect(col(3)).toEqual([2, 0, 1, 2, 0, 1].map((r) => Math.fround(Math.log1p(r))));
    // All-equal values: z 0, ranks by row order.
    expect(col(4).slice(0, 3)).toEqual([0, 0, 0]);
    expect(col(5).slice(0, 3)).toEqual([0, 1, 2].map((r) => Math.fround(Math.log1p(r))));
    expect(col(5).slice(3)).toEqual([2, 1, 0].map((r) => Math.fround(Math.log1p(r))));
  });

  it('sits between the request signals and the two-tower score, which stays the last column', () => {
    expect(RANKER_FEATURE_NAMES.slice(RELATIVE_AT, RELATIVE_AT + REQUEST_RELATIVE_NAMES.length)).toEqual([...REQUEST_RELATIVE_NAMES]);
    expect(RANKER_FEATURE_NAMES[RANKER_FEATURE_NAMES.length - 1]).toBe('two_tower_score');
    for (const n of RELATIVE_SOURCE_NAMES) expect(RANKER_FEATURE_NAMES).toContain(n);
    const d = RANKER_FEATURE_NAMES.length;
    const x = new Float32Array(2 * d);
    x[d - 1] = 0.5;
    x[2 * d - 1] = 2;
    writeRelativeColumns(x, 0, 2);
    // The retrieval score's z-score and rank: row 1 first.
    expect([x[RELATIVE_AT], x[d + RELATIVE_AT]]).toEqual([-1, 1]);
    expect([x[RELATIVE_AT + 1], x[d + RELATIVE_AT + 1]]).toEqual([Math.fround(Math.log1p(1)), 0]);
  });
});
