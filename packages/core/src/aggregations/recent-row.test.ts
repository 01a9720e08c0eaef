import { describe, expect, it } from 'vitest';
import { entity } from '../definitions/entity.js';
import { fileSource } from '../definitions/sources.js';
import { seededRandom } from '../seeded-random.js';
import { aggregationFeatureView } from './aggregation-view.js';
import { decodeTileRows, readTileRows, type TileRows } from './recent-row.js';
import { encodeTileRow } from './tile-row.js';
import { emptyTiles, evaluateFeatureOver, evaluateTiles, foldEvent, planTiles, type TilePlan, type TileState } from './tiles.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const BASE = Date.UTC(2026, 0, 5);

const plan = planTiles(
  aggregationFeatureView({
    name: 'user_agg',
    entities: [entity({ name: 'user', joinKey: 'user_id', valueType: 'int64' })],
    source: fileSource({ name: 'events', path: 'events.parquet', timestampField: 'ts' }),
    tileSize: '1h',
    aggregations: [
      { function: 'count', windows: ['1h', '1d', '7d'] },
      { column: 'rating', function: 'sum', windows: ['1d'] },
      { column: 'rating', function: 'mean', windows: ['7d'] },
      { column: 'rating', function: 'min', windows: ['1d'] },
      { column: 'rating', function: 'max', windows: ['7d'] },
      { column: 'rating', function: 'last', windows: ['1d'] },
      { column: 'item', function: 'lastN', n: 4, windows: ['1d'] },
      { column: 'item', function: 'countDistinct', windows: ['1h', '7d'] },
      { column: 'item', function: 'countDistinct', approximate: true, windows: ['1d'] },
    ],
  }).spec,
);

// Three days of events, some with no rating; inputs by slot (a column's value, or 1 for count).
const rand = seededRandom(11);
const events = Array.from({ length: 300 }, (_, i) => {
  const rating = rand() < 0.15 ? null : Math.round(rand() * 10) / 2;
  const item = `i${Math.floor(rand() * 12)}`;
  return {
    t: BASE + Math.floor(i * 0.24 * HOUR + rand() * 0.2 * HOUR),
    inputs: plan.slots.map((s) => (s.column === 'item' ? item : s.column ? rating : 1)),
  };
});
const END = BASE + 3 * DAY;

function fold(from: number, to: number, wm?: number): TileState {
  const st = emptyTiles(plan);
  for (const e of events) if (e.t >= from && e.t < to) foldEvent(plan, st, e.t, e.inputs);
  if (wm !== undefined) st.wm = wm;
  return st;
}

const row = (st: TileState) => encodeTileRow(plan, st);

function evaluated(p: TilePlan, r: TileRows, atMs: number): Record<string, unknown> {
  return Object.fromEntries(p.features.map((f) => [f.name, evaluateFeatureOver(p, r.st, r.more, r.from, f, atMs)]));
}

const TIMES = [END, END + HOUR / 2, END + 5 * HOUR, END + 23 * HOUR, END + 2 * DAY];

describe('recent rows: a read over the base and recent tiles', () => {
  it('scans the recent tiles after the base ones, unjoined, with the values of one row of every event and of the appending read', () => {
    const wm = BASE + 2 * DAY;
    // The recent row starts at the tile base, before the base's wm: its tiles before wm are the base's and are skipped.
    const base = row(fold(0, wm, wm));
    const recent = row(fold(wm - 5 * HOUR, END, END));
    const r = readTileRows(plan, base, recent)!;
    expect(r.more).toBeDefined();
    expect(r.from).toBeGreaterThan(0);
    expect(r.maxT).toBe(Math.max(...events.map((e) => e.t)));
    const whole = fold(0, END);
    for (const t of TIMES) {
      const got = evaluated(plan, r, t);
      expect(got).toEqual(evaluateTiles(plan, decodeTileRows(plan, base, recent)!, t));
      const want = evaluateTiles(plan, whole, t);
      for (const [k, v] of Object.entries(want)) {
        if (typeof v === 'number') expect(Math.abs((got[k] as number) - v), k).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(v)));
        else expect(got[k], k).toEqual(v);
      }
    }
  });

  it('gives the values of the appending read for an entity with only a base row, only a recent row, a stale recent row or a base tile past its wm', () => {
    const wm = BASE + 2 * DAY;
    const cases: Array<[string, Uint8Array | undefined, Uint8Array | undefined]> = [
      ['only base', row(fold(0, wm, wm)), undefined],
      ['only recent', undefined, row(fold(wm, END, END))],
      ['stale recent', row(fold(0, END, END)), row(fold(wm, END - DAY, END - DAY))],
      // A base tile starting at or past its wm (the base holds events past it): the tiles merge.
      ['base tile past its wm', row(fold(0, wm + 2 * HOUR, wm + HOUR / 2)), row(fold(wm, END, END))],
    ];
    for (const [name, base, recent] of cases) {
      const r = readTileRows(plan, base, recent)!;
      expect(r.more, name).toBeUndefined();
      const old = decodeTileRows(plan, base, recent)!;
      expect(r.maxT, name).toBe(old.maxT);
      for (const t of TIMES) expect(evaluated(plan, r, t), `${name} at ${t - END}`).toEqual(evaluateTiles(plan, old, t));
    }
    expect(readTileRows(plan, undefined, undefined)).toBeUndefined();
  });
});
