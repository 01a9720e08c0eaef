import { describe, expect, it } from 'vitest';
import { entity } from '../definitions/entity.js';
import { fileSource } from '../definitions/sources.js';
import { seededRandom } from '../seeded-random.js';
import { aggregationFeatureView } from './aggregation-view.js';
import { decodeTileRow, encodeTileRow } from './tile-row.js';
import { emptyTiles, evaluateTiles, foldEvent, planTiles, type TileState } from './tiles.js';

const user = entity({ name: 'user', joinKey: 'user_id', valueType: 'int64' });
const events = fileSource({ name: 'events', path: 'events.parquet', timestampField: 'ts' });
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function plan() {
  return planTiles(
    aggregationFeatureView({
      name: 'user_agg',
      entities: [user],
      source: events,
      tileSize: '1h',
      aggregations: [
        { function: 'count', windows: ['1d', '7d', '30d'] },
        { column: 'rating', function: 'sum', windows: ['1d', '7d', '30d'] },
        { column: 'rating', function: 'mean', windows: ['1d', '7d', '30d'] },
        { column: 'rating', function: 'max', windows: ['1d', '7d', '30d'] },
        { column: 'item', function: 'countDistinct', windows: ['1d'] },
      ],
    }).spec,
  );
}

/** An entity's tiles from `n` events over 30 days with values drawn by `value`. */
function tilesOf(n: number, value: (r: () => number) => number | null, seed = 1): TileState {
  const p = plan();
  const rand = seededRandom(seed);
  const st = emptyTiles(p);
  const t0 = Date.UTC(2026, 0, 1);
  const times = Array.from({ length: n }, () => t0 + Math.floor(rand() * 30 * DAY)).sort((a, b) => a - b);
  for (const t of times) {
    const v = value(rand);
    foldEvent(p, st, t, [1, v, v, `i${Math.floor(rand() * 5)}`]);
  }
  st.wm = t0 + 30 * DAY;
  return st;
}

describe('tile row', () => {
  it('gives back every value bit for bit, whatever its range: halves, fractions, large counts, negatives, nulls', () => {
    const p = plan();
    const kinds: Array<(r: () => number) => number | null> = [
      (r) => Math.round(r() * 10) / 2,
      (r) => r() * 1e6 - 5e5,
      (r) => (r() < 0.3 ? null : Math.round(r() * 1e9)),
      (r) => (r() < 0.5 ? -0 : 0.1),
      () => 2 ** 40,
    ];
    for (const [i, value] of kinds.entries()) {
      const st = tilesOf(500, value, i + 1);
      // A tile far away (gaps wider than 16 bits) and a tile of 70,000 events (counts wider than 16 bits).
      foldEvent(p, st, Date.UTC(2040, 0, 1), [1, 1, 1, 'x']);
      for (let k = 0; k < 70_000; k++) foldEvent(p, st, Date.UTC(2040, 0, 1) + 1, [1, 3.25, 3.25, 'y']);
      const row = encodeTileRow(p, st);
      for (const mutable of [false, true]) {
        const back = decodeTileRow(p, row.slice(), mutable);
        expect(Array.from(back.t)).toEqual(st.t);
        expect(back.maxT).toBe(st.maxT);
        expect(back.wm).toBe(st.wm);
        back.s.forEach((slot, j) => {
          for (const [k, arr] of Object.entries(slot)) {
            const want = (st.s[j] as Record<string, unknown[]>)[k]!;
            const got = Array.from(arr as ArrayLike<unknown>, (v) => (!mutable && k === 'm' && Number.isNaN(v) ? null : v));
            // Object.is: -0 and 0 are told apart.
            got.forEach((v, x) => expect(Object.is(v, want[x]) || JSON.stringify(v) === JSON.stringify(want[x]), `${k}[${x}]`).toBe(true));
          }
        });
        for (const at of [st.maxT!, st.maxT! + 3 * HOUR, Date.UTC(2026, 0, 20)])
          expect(evaluateTiles(p, back, Math.max(at, st.maxT!))).toEqual(evaluateTiles(p, st, Math.max(at, st.maxT!)));
      }
    }
  });

  it('keeps the row of 100 rated events in 30 days under 1 KB, the size SQLite keeps in its page (the float64 form took 4.8 KB)', () => {
    const p = planTiles({
      ...plan().view,
      tiling: { ...plan().view.tiling!, aggregations: plan().view.tiling!.aggregations.slice(0, 12) },
    });
    const st = tilesOf(100, (r) => Math.round(r() * 10) / 2);
    expect(st.t.length).toBeGreaterThan(90);
    const row = encodeTileRow(p, st);
    expect(row.byteLength).toBeLessThan(1000);
    expect(evaluateTiles(p, decodeTileRow(p, row), st.maxT! + HOUR)).toEqual(evaluateTiles(p, st, st.maxT! + HOUR));
  });

  it('still reads a version 1 row (float64 throughout), so rows written before stay readable', () => {
    const p = planTiles({
      ...plan().view,
      tiling: { ...plan().view.tiling!, aggregations: plan().view.tiling!.aggregations.slice(0, 12) },
    });
    const st = tilesOf(40, (r) => r() * 7);
    const n = st.t.length;
    const f = new Float64Array(4 + 6 * n);
    f.set([1, n, st.maxT!, st.wm!]);
    f.set(st.t, 4);
    const cols = [st.s[0]!.c!, st.s[1]!.c!, st.s[1]!.s!, st.s[2]!.c!, st.s[2]!.m!.map((v) => v ?? Number.NaN)];
    cols.forEach((c, i) => f.set(c, 4 + n * (i + 1)));
    for (const mutable of [false, true]) {
      const back = decodeTileRow(p, new Uint8Array(f.buffer), mutable);
      expect(evaluateTiles(p, back, st.maxT! + 5)).toEqual(evaluateTiles(p, st, st.maxT! + 5));
      expect(back.wm).toBe(st.wm);
    }
  });
});
