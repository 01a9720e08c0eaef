import { describe, expect, it } from 'vitest';
import { entity } from '../definitions/entity.js';
import { fileSource } from '../definitions/sources.js';
import { FrecError } from '../errors.js';
import { seededRandom } from '../seeded-random.js';
import { aggregationFeatureView } from './aggregation-view.js';
import { decodeTileRow, encodeTileRow } from './tile-row.js';
import { emptyTiles, evaluateTiles, foldEvent, mergeTiles, planTiles, pruneTiles } from './tiles.js';

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
      { function: 'count', windows: ['1h', '1d'] },
      { column: 'rating', function: 'mean', windows: ['1d'] },
      { column: 'rating', function: 'max', windows: ['1d'] },
      { column: 'rating', function: 'last', windows: ['1d'] },
      { column: 'item', function: 'lastN', n: 3, windows: ['1d'] },
      { column: 'item', function: 'countDistinct', windows: ['1d'] },
    ],
  });
}

function codeOf(fn: () => unknown): { code: string; where: unknown; message: string } {
  try {
    fn();
  } catch (e) {
    if (e instanceof FrecError) return { code: e.code, where: e.where, message: e.message };
    throw e;
  }
  throw new Error('did not throw');
}

describe('aggregationFeatureView', () => {
  it('names one feature per aggregation and window, as typed literals', () => {
    const v = view();
    expect(v.featureNames).toEqual([
      'count_1h',
      'count_1d',
      'rating_mean_1d',
      'rating_max_1d',
      'rating_last_1d',
      'item_last_n_1d',
      'item_count_distinct_1d',
    ]);
    expect(v.spec.features.map((f) => f.dtype)).toEqual(['int64', 'int64', 'float64', 'float64', 'float64', 'string[]', 'int64']);
    expect(v.select(['rating_mean_1d']).spec.features).toEqual(['rating_mean_1d']);
    // @ts-expect-error: not a declared feature name
    expect(() => v.select(['rating_mean_7d'])).toThrow(/not in feature view/);
  });

  it('refuses a window that is not a multiple of the tile size, one longer than retention, and lastN without n, naming the feature', () => {
    const base = { name: 'v', entities: [user], source: events, tileSize: '1h' } as const;
    const w = codeOf(() => aggregationFeatureView({ ...base, aggregations: [{ column: 'rating', function: 'mean', windows: ['90m'] }] }));
    expect(w.code).toBe('INVALID_DEFINITION');
    expect(w.where).toMatchObject({ featureView: 'v', feature: 'rating_mean_90m' });
    expect(w.message).toMatch(/not a multiple of the tile size/);
    const r = codeOf(() => aggregationFeatureView({ ...base, retention: '7d', aggregations: [{ function: 'count', windows: ['30d'] }] }));
    expect(r.message).toMatch(/longer than the source's retention/);
    expect(r.where).toMatchObject({ feature: 'count_30d' });
    const n = codeOf(() => aggregationFeatureView({ ...base, aggregations: [{ column: 'item', function: 'lastN', windows: ['1d'] }] }));
    expect(n.message).toMatch(/needs n/);
    const c = codeOf(() => aggregationFeatureView({ ...base, aggregations: [{ function: 'mean', windows: ['1d'] }] }));
    expect(c.message).toMatch(/mean needs a column/);
  });
});

describe('tiles', () => {
  it('folding events one by one equals merging the tiles of two batches, at every read time', () => {
    const plan = planTiles(view().spec);
    const rand = seededRandom(3);
    const evs = Array.from({ length: 400 }, (_, i) => ({
      t: Math.floor(i * 0.2 * HOUR + rand() * 0.5 * HOUR),
      inputs: [1, rand() < 0.1 ? null : Math.round(rand() * 10) / 2, null, null, `i${Math.floor(rand() * 9)}`, null],
    })).map((e) => ({ ...e, inputs: [1, e.inputs[1], e.inputs[1], e.inputs[1], e.inputs[4], e.inputs[4]] }));
    const one = emptyTiles(plan);
    const a = emptyTiles(plan);
    const b = emptyTiles(plan);
    evs.forEach((e, i) => {
      foldEvent(plan, one, e.t, e.inputs);
      foldEvent(plan, i < 250 ? a : b, e.t, e.inputs);
    });
    mergeTiles(plan, a, b);
    pruneTiles(plan, one);
    pruneTiles(plan, a);
    const maxT = Math.max(...evs.map((e) => e.t));
    for (const dt of [0, 1, HOUR / 2, 3 * HOUR, 23 * HOUR, 25 * HOUR]) {
      const x = evaluateTiles(plan, one, maxT + dt);
      const y = evaluateTiles(plan, a, maxT + dt);
      for (const k of Object.keys(x)) {
        const u = x[k];
        const v = y[k];
        if (typeof u === 'number' && typeof v === 'number') expect(Math.abs(u - v)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(u)));
        else expect(v, k).toEqual(u);
      }
    }
    // The online row's binary form reads the same, as views (reads) and as arrays (merges).
    const row = encodeTileRow(plan, a);
    for (const mutable of [false, true]) {
      const back = decodeTileRow(plan, row.slice(), mutable);
      expect(evaluateTiles(plan, back, maxT + 5)).toEqual(evaluateTiles(plan, a, maxT + 5));
    }
    expect(decodeTileRow(plan, row, true).s).toEqual(JSON.parse(JSON.stringify(a.s)));
    // A day and an hour later every 1d window is empty: count 0, mean null, lastN [].
    const empty = evaluateTiles(plan, a, Math.floor(maxT / HOUR) * HOUR + 25 * HOUR);
    expect([empty.count_1d, empty.rating_mean_1d, empty.item_last_n_1d, empty.item_count_distinct_1d]).toEqual([0, null, [], 0]);
  });
});
