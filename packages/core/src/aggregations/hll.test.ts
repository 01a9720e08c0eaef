import { describe, expect, it } from 'vitest';
import { entity } from '../definitions/entity.js';
import { fileSource } from '../definitions/sources.js';
import { FrecError } from '../errors.js';
import { seededRandom } from '../seeded-random.js';
import { aggregationFeatureView } from './aggregation-view.js';
import { HLL_REGISTERS, HLL_STANDARD_ERROR, hllAdd, hllEstimate, hllFromText, hllMerge, hllToText } from './hll.js';
import { decodeTileRow, encodeTileRow } from './tile-row.js';
import { emptyTiles, evaluateTiles, foldEvent, mergeTiles, planTiles } from './tiles.js';

const user = entity({ name: 'user', joinKey: 'user_id', valueType: 'int64' });
const events = fileSource({ name: 'events', path: 'events.parquet', timestampField: 'ts' });
const HOUR = 3_600_000;

function view() {
  return aggregationFeatureView({
    name: 'user_agg',
    entities: [user],
    source: events,
    tileSize: '1h',
    aggregations: [
      { column: 'item', function: 'countDistinct', windows: ['1d'] },
      { column: 'item', function: 'countDistinct', approximate: true, windows: ['1h', '1d'] },
    ],
  });
}

describe('countDistinct approximate: a HyperLogLog sketch per tile', () => {
  it('declares its own feature names and a sketch slot', () => {
    const v = view();
    expect(v.featureNames).toEqual(['item_count_distinct_1d', 'item_count_distinct_approx_1h', 'item_count_distinct_approx_1d']);
    expect(planTiles(v.spec).slots.map((s) => s.kind)).toEqual(['distinct', 'hll']);
    expect(v.spec.features.map((f) => f.dtype)).toEqual(['int64', 'int64', 'int64']);
  });

  it('estimates seeded sets of known size within 3 standard errors (1.04 / sqrt(4096) each)', () => {
    const plan = planTiles(view().spec);
    const bound = 3 * HLL_STANDARD_ERROR;
    // 10,000 is 2.4 m, where the classic estimator's switch to linear counting errs most.
    for (const n of [10, 1_000, 10_000, 100_000]) {
      for (const seed of [1, 2, 3]) {
        const rand = seededRandom(seed * 7919 + n);
        // Distinct values, each seen 1-3 times, spread over 24 tiles, folded in a shuffled order.
        const values: Array<string | number> = [];
        for (let i = 0; i < n; i++) {
          const v = seed % 2 === 0 ? Math.floor(rand() * 1e12) * 1_000 + i : `user-${seed}-${i}-${Math.floor(rand() * 1e6)}`;
          for (let k = 1 + Math.floor(rand() * 3); k > 0; k--) values.push(v);
        }
        for (let i = values.length - 1; i > 0; i--) {
          const j = Math.floor(rand() * (i + 1));
          [values[i], values[j]] = [values[j]!, values[i]!];
        }
        const st = emptyTiles(plan);
        // The exact slot is left out (null): its list scan is quadratic at 100,000 values.
        values.forEach((v, i) => foldEvent(plan, st, Math.floor((i / values.length) * 24) * HOUR, [null, v]));
        expect(new Set(values).size).toBe(n);
        const out = evaluateTiles(plan, st, 24 * HOUR - 1);
        const est = out.item_count_distinct_approx_1d as number;
        expect(Math.abs(est - n) / n, `n=${n} seed=${seed}: estimate ${est}`).toBeLessThanOrEqual(bound);
      }
    }
  });

  it('merges by register max: a sketch of two halves is the sketch of the whole, in any order, and repeats change nothing', () => {
    const a: number[] = [];
    const b: number[] = [];
    const whole: number[] = [];
    for (let i = 0; i < 5_000; i++) {
      hllAdd(i % 2 ? a : b, `v${i}`);
      hllAdd(whole, `v${i}`);
    }
    expect(hllMerge(a, b)).toEqual(whole);
    expect(hllMerge(b, a)).toEqual(whole);
    expect(hllMerge(whole, a)).toEqual(whole);
    expect(hllEstimate([a, b])).toBe(hllEstimate([whole]));
    // 1 and '1' are different values.
    const typed: number[] = [];
    hllAdd(typed, 1);
    hllAdd(typed, '1');
    expect(hllEstimate([typed])).toBe(2);
    expect(hllEstimate([])).toBe(0);
  });

  it('stream-style merges of tiles give the same sketch as folding every event into one state', () => {
    const plan = planTiles(view().spec);
    const rand = seededRandom(5);
    const evs = Array.from({ length: 3_000 }, () => ({ t: Math.floor(rand() * 30 * HOUR), v: `i${Math.floor(rand() * 2_000)}` }));
    const one = emptyTiles(plan);
    for (const e of evs) foldEvent(plan, one, e.t, [e.v, e.v]);
    const merged = emptyTiles(plan);
    for (let k = 0; k < evs.length; k += 97) {
      const part = emptyTiles(plan);
      for (const e of evs.slice(k, k + 97)) foldEvent(plan, part, e.t, [e.v, e.v]);
      mergeTiles(plan, merged, part);
    }
    expect(merged.s[1]).toEqual(one.s[1]);
    for (const t of [10 * HOUR, 29 * HOUR, 40 * HOUR]) expect(evaluateTiles(plan, merged, t)).toEqual(evaluateTiles(plan, one, t));
  });

  it('stores sketches compactly in the online row and reads them back bit for bit (sparse and dense)', () => {
    const plan = planTiles(view().spec);
    const st = emptyTiles(plan);
    // Tile 0: few values (sparse); tile 1: many (dense, one byte a register).
    for (let i = 0; i < 20; i++) foldEvent(plan, st, 1_000 + i, [`a${i}`, `a${i}`]);
    for (let i = 0; i < 20_000; i++) foldEvent(plan, st, HOUR + i, [null, `b${i}`]);
    const row = encodeTileRow(plan, st);
    const back = decodeTileRow(plan, row, true);
    expect(back.s[1]).toEqual(st.s[1]);
    expect(evaluateTiles(plan, back, 2 * HOUR)).toEqual(evaluateTiles(plan, st, 2 * HOUR));
    const sparse = st.s[1]!.h![0]!;
    const dense = st.s[1]!.h![1]!;
    expect(hllFromText(hllToText(dense))).toEqual(dense);
    // 3 bytes an entry when sparse; at most one byte a register (+ marker), as base64.
    expect(hllToText(sparse).length).toBe(Math.ceil((1 + 3 * sparse.length) / 3) * 4);
    expect(hllToText(dense).length).toBe(Math.ceil((1 + HLL_REGISTERS) / 3) * 4);
  });

  it('refuses approximate on any function but countDistinct, and a non-boolean approximate, with a coded error', () => {
    const base = { name: 'v', entities: [user], source: events, tileSize: '1h' } as const;
    const err = (aggregations: unknown) => {
      try {
        aggregationFeatureView({ ...base, aggregations: aggregations as never });
      } catch (e) {
        if (e instanceof FrecError) return { code: e.code, message: e.message, where: e.where };
        throw e;
      }
      throw new Error('did not throw');
    };
    const sum = err([{ column: 'rating', function: 'sum', approximate: true, windows: ['1d'] }]);
    expect(sum.code).toBe('INVALID_DEFINITION');
    expect(sum.message).toMatch(/only countDistinct takes/);
    expect(sum.where).toMatchObject({ featureView: 'v', feature: 'rating' });
    expect(err([{ column: 'item', function: 'countDistinct', approximate: 'yes', windows: ['1d'] }]).code).toBe('INVALID_DEFINITION');
    // The type says so too.
    const mean = [{ column: 'rating', function: 'mean', approximate: true, windows: ['1d'] }] as const;
    // @ts-expect-error: approximate only on countDistinct
    expect(() => aggregationFeatureView({ ...base, aggregations: mean })).toThrow(/only countDistinct takes/);
  });
});
