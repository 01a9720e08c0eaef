import { seededRandom } from '../seeded-random.js';
import { describe, expect, it } from 'vitest';
import { entity } from '../definitions/entity.js';
import { fileSource, streamSource } from '../definitions/sources.js';
import { count, lastN, mean, sessionDuration, sessionLength, streamFeatureView, sum } from '../definitions/stream-feature-view.js';
import {
  applyEvent,
  compareIds,
  emptyState,
  exactSince,
  featuresAt,
  featuresOf,
  planAggregations,
  rowTimesSince,
  RECENT_IDS,
  wasApplied,
  type AggEvent,
} from './aggregate-state.js';

const rng = seededRandom;

const user = entity({ name: 'user', joinKey: 'user_id', valueType: 'int64' });
const events = streamSource({
  name: 'interactions',
  topic: 'interactions',
  timestampField: 'ts',
  batchSource: fileSource({ name: 'interactions_features', path: 'data/activity', timestampField: 'ts' }),
});
const view = streamFeatureView({
  name: 'user_activity',
  entities: [user],
  source: events,
  aggregations: [
    lastN('item_id', 10, { type: 'int64', name: 'last_10_items' }),
    count({ window: '1h' }),
    sum('dwell', { window: '24h' }),
    mean('dwell', { window: '7d' }),
    sessionLength({ gap: '30m' }),
    sessionDuration({ gap: '30m' }),
  ],
});
const plan = planAggregations(view.spec);
const H = 3600_000;

/** The definition of every feature, computed from scratch over all events: the reference the fold must match. */
function reference(all: Array<AggEvent & { arrival: number }>): Record<string, unknown> {
  // Ties go by value (here the lastN column's), never by arrival.
  const sorted = [...all].sort(
    (a, b) => a.timeMs - b.timeMs || Number(a.values.item_id) - Number(b.values.item_id) || a.arrival - b.arrival,
  );
  const T = sorted[sorted.length - 1]!.timeMs;
  const inWin = (w: number) => sorted.filter((e) => e.timeMs > T - w && e.timeMs <= T);
  const dwell = (w: number) =>
    inWin(w)
      .filter((e) => e.values.dwell !== '')
      .map((e) => Number(e.values.dwell));
  let start = T;
  let n = 1;
  for (let i = sorted.length - 2; i >= 0; i--) {
    if (start - sorted[i]!.timeMs > 30 * 60_000) break;
    start = sorted[i]!.timeMs;
    n++;
  }
  const d7 = dwell(168 * H);
  return {
    last_10_items: sorted
      .slice(-10)
      .reverse()
      .map((e) => Number(e.values.item_id)),
    count_1h: inWin(H).length,
    sum_dwell_24h: dwell(24 * H).reduce((a, b) => a + b, 0),
    mean_dwell_7d: d7.length ? d7.reduce((a, b) => a + b, 0) / d7.length : null,
    session_length: n,
    session_duration: (T - start) / 1000,
  };
}

describe('streamFeatureView', () => {
  it('derives each aggregation feature type', () => {
    expect(view.spec.kind).toBe('stream');
    expect(view.spec.features.map((f) => `${f.name}:${f.dtype}`)).toEqual([
      'last_10_items:int64[]',
      'count_1h:int64',
      'sum_dwell_24h:float64',
      'mean_dwell_7d:float64',
      'session_length:int64',
      'session_duration:float64',
    ]);
    expect(view.spec.aggregations[1]).toEqual({ kind: 'count', name: 'count_1h', windowSeconds: 3600 });
  });

  it('rejects a view without aggregations, a bad window and two session gaps', () => {
    expect(() => streamFeatureView({ name: 'x', entities: [user], source: events, aggregations: [] })).toThrow(/declares no aggregations/);
    expect(() => count({ window: 'soon' })).toThrow(/invalid duration 'soon'/);
    expect(() =>
      streamFeatureView({
        name: 'x',
        entities: [user],
        source: events,
        aggregations: [sessionLength({ gap: '30m' }), sessionDuration({ gap: '1h' })],
      }),
    ).toThrow(/different gaps/);
    const batch = fileSource({ name: 'b', path: 'x.parquet', timestampField: 'ts' });
    expect(() =>
      streamFeatureView({ name: 'x', entities: [user], source: batch as never, aggregations: [count({ window: '1h' })] }),
    ).toThrow(/needs a stream source/);
  });
});

describe('aggregate fold', () => {
  it('matches the from-scratch definition whatever the arrival order (seeded late events)', () => {
    const r = rng(7);
    for (let trial = 0; trial < 30; trial++) {
      const n = 5 + Math.floor(r() * 80);
      let t = Date.UTC(2024, 0, 1);
      const evs: Array<AggEvent & { arrival: number }> = [];
      for (let i = 0; i < n; i++) {
        t += Math.floor(r() * (r() < 0.2 ? 3 * H : 20 * 60_000));
        evs.push({
          timeMs: t,
          values: { item_id: String(Math.floor(r() * 1000)), dwell: r() < 0.1 ? '' : (r() * 100).toFixed(3) },
          arrival: 0,
        });
      }
      // Deliver out of order: each event may be delayed past a few later ones.
      const arrival = evs
        .map((e, i) => ({ e, at: i + r() * 6 }))
        .sort((a, b) => a.at - b.at)
        .map((x) => x.e);
      arrival.forEach((e, i) => (e.arrival = i));
      const state = emptyState();
      arrival.forEach((e, i) => applyEvent(plan, state, e, `${i}-0`));
      const got = featuresOf(plan, state);
      const want = reference(arrival);
      expect(got.last_10_items).toEqual(want.last_10_items);
      expect(got.count_1h).toBe(want.count_1h);
      expect(got.session_length).toBe(want.session_length);
      expect(got.session_duration).toBe(want.session_duration);
      expect(got.sum_dwell_24h as number).toBeCloseTo(want.sum_dwell_24h as number, 6);
      if (want.mean_dwell_7d === null) expect(got.mean_dwell_7d).toBeNull();
      else expect(got.mean_dwell_7d as number).toBeCloseTo(want.mean_dwell_7d as number, 6);
      expect(state.applied).toBe(n);
    }
  });

  it('featuresAt equals the in-order fold at every event time within the allowed lateness (seeded late events)', () => {
    const late = streamFeatureView({
      name: 'user_activity',
      entities: [user],
      source: streamSource({
        name: 'interactions',
        topic: 'interactions',
        timestampField: 'ts',
        allowedLateness: '2h',
        batchSource: fileSource({ name: 'interactions_features', path: 'data/activity', timestampField: 'ts' }),
      }),
      aggregations: [
        lastN('item_id', 10, { type: 'int64', name: 'last_10_items' }),
        count({ window: '1h' }),
        sum('dwell', { window: '24h' }),
        sessionLength({ gap: '30m' }),
        sessionDuration({ gap: '30m' }),
      ],
    });
    const lp = planAggregations(late.spec);
    expect(lp.latenessMs).toBe(2 * H);
    const r = rng(23);
    let checked = 0;
    for (let trial = 0; trial < 30; trial++) {
      const n = 5 + Math.floor(r() * 60);
      let t = Date.UTC(2024, 0, 1);
      const evs: Array<AggEvent & { arrival: number }> = [];
      for (let i = 0; i < n; i++) {
        // Some ties at one millisecond, some gaps past the session gap.
        t += r() < 0.15 ? 0 : Math.floor(r() * (r() < 0.2 ? 3 * H : 20 * 60_000));
        evs.push({ timeMs: t, values: { item_id: String(Math.floor(r() * 1000)), dwell: (r() * 100).toFixed(3) }, arrival: 0 });
      }
      // Delivered out of order; ties go by arrival, in the fold and in the reference.
      const arrival = evs
        .map((e, i) => ({ e, at: i + r() * 8 }))
        .sort((a, b) => a.at - b.at)
        .map((x) => x.e);
      arrival.forEach((e, i) => (e.arrival = i));
      const state = emptyState();
      arrival.forEach((e, i) => applyEvent(lp, state, e, `${i}-0`));
      const since = exactSince(lp, state);
      for (const at of rowTimesSince(lp, state, Number.NEGATIVE_INFINITY)) {
        expect(at).toBeGreaterThanOrEqual(since);
        const got = featuresAt(lp, state, at);
        const want = reference(evs.filter((e) => e.timeMs <= at));
        expect(got.last_10_items, `trial ${trial} at ${at}`).toEqual(want.last_10_items);
        expect(got.count_1h).toBe(want.count_1h);
        expect(got.session_length, `trial ${trial} at ${at}`).toBe(want.session_length);
        expect(got.session_duration).toBe(want.session_duration);
        expect(got.sum_dwell_24h as number).toBeCloseTo(want.sum_dwell_24h as number, 6);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('merges two sessions when a late event bridges the gap', () => {
    const s = emptyState();
    const t0 = Date.UTC(2024, 0, 1);
    applyEvent(plan, s, { timeMs: t0, values: {} });
    applyEvent(plan, s, { timeMs: t0 + 50 * 60_000, values: {} });
    expect(featuresOf(plan, s).session_length).toBe(1);
    applyEvent(plan, s, { timeMs: t0 + 25 * 60_000, values: {} });
    expect(featuresOf(plan, s)).toMatchObject({ session_length: 3, session_duration: 3000 });
  });

  it('recognises every applied ID as replayed when IDs arrive out of order, past the memory size', () => {
    // IDs 200..263 in order, then a late redelivery of 150: the memory is full, and it must drop
    // the smallest ID, else 200 is forgotten while 150 < 200 stays, and a replay of 200 counts twice.
    const s = emptyState();
    const t = Date.UTC(2024, 0, 1);
    const ids: string[] = [];
    for (let i = 0; i < RECENT_IDS; i++) ids.push(`${200 + i}-0`);
    ids.push('150-0');
    for (const [i, id] of ids.entries()) applyEvent(plan, s, { timeMs: t + i, values: { item_id: i, dwell: 1 } }, id);
    for (const id of ids) expect(wasApplied(s, id), id).toBe(true);
    expect(wasApplied(s, `${200 + RECENT_IDS}-0`)).toBe(false);
  });

  it('remembers and forgets IDs as the unsorted scan did, for shuffled deliveries and states saved in apply order', () => {
    // The definition before the IDs were kept sorted: a set of at most RECENT_IDS, the smallest forgotten.
    const oldApplied = (ids: readonly string[], id: string): boolean => {
      if (ids.includes(id)) return true;
      if (ids.length < RECENT_IDS) return false;
      let min = ids[0]!;
      for (const x of ids) if (compareIds(x, min) < 0) min = x;
      return compareIds(id, min) < 0;
    };
    const oldRemember = (ids: string[], id: string): void => {
      ids.push(id);
      if (ids.length <= RECENT_IDS) return;
      let min = 0;
      for (let i = 1; i < ids.length; i++) if (compareIds(ids[i]!, ids[min]!) < 0) min = i;
      ids.splice(min, 1);
    };
    const r = rng(41);
    for (let round = 0; round < 8; round++) {
      let s = emptyState();
      const model: string[] = [];
      const t = Date.UTC(2024, 0, 1);
      for (let i = 0; i < 300; i++) {
        // Mostly new IDs, some redeliveries from the recent past, some from long ago; ms and seq both vary.
        const base = r() < 0.8 ? 1000 + i * 3 : 1000 + Math.floor(r() * (i + 1) * 3) - (r() < 0.3 ? 500 : 0);
        const id = `${base}-${Math.floor(r() * 3)}`;
        const applied = wasApplied(s, id);
        expect(applied, `${round}/${i} ${id}`).toBe(oldApplied(model, id));
        if (!applied) {
          applyEvent(plan, s, { timeMs: t + i, values: { item_id: i, dwell: 1 } }, id);
          oldRemember(model, id);
        }
        expect([...s.recentIds].sort(compareIds)).toEqual([...model].sort(compareIds));
        // A store round trip, at times with the IDs in apply order as older states hold them.
        if (r() < 0.1) {
          s = JSON.parse(JSON.stringify(s)) as typeof s;
          if (r() < 0.5) s.recentIds = [...model];
        }
      }
    }
  });

  it('breaks time ties by value, whatever the arrival order, and remembers applied IDs', () => {
    const s = emptyState();
    const t = Date.UTC(2024, 0, 1);
    applyEvent(plan, s, { timeMs: t, values: { item_id: 1, dwell: 0.1 } }, '1-0');
    applyEvent(plan, s, { timeMs: t, values: { item_id: 2, dwell: 0.2 } }, '2-0');
    applyEvent(plan, s, { timeMs: t, values: { item_id: 10, dwell: 0.3 } }, '5-0');
    const r = emptyState();
    applyEvent(plan, r, { timeMs: t, values: { item_id: 10, dwell: 0.3 } }, '5-0');
    applyEvent(plan, r, { timeMs: t, values: { item_id: 2, dwell: 0.2 } }, '2-0');
    applyEvent(plan, r, { timeMs: t, values: { item_id: 1, dwell: 0.1 } }, '1-0');
    expect(featuresOf(plan, s).last_10_items).toEqual([10, 2, 1]);
    // Bit for bit: the window is summed in the same order.
    expect(featuresOf(plan, r)).toEqual(featuresOf(plan, s));
    expect(wasApplied(s, '1-0')).toBe(true);
    expect(wasApplied(s, '3-0')).toBe(false);
    // An empty window reads 0 / null, not NaN.
    const e = emptyState();
    applyEvent(plan, e, { timeMs: t, values: { dwell: '' } });
    expect(featuresOf(plan, e)).toMatchObject({ count_1h: 1, sum_dwell_24h: 0, mean_dwell_7d: null });
  });

  it('compares stream IDs as the numbers they spell, canonical or not (seeded)', () => {
    // The split-and-Number definition compareIds had before its allocation-free path.
    const byParts = (a: string, b: string): number => {
      const [am, as = '0'] = a.split('-');
      const [bm, bs = '0'] = b.split('-');
      return Number(am) - Number(bm) || Number(as) - Number(bs);
    };
    const rand = rng(11);
    const digits = (n: number): string => Array.from({ length: n }, () => Math.floor(rand() * 10)).join('');
    const odd = [
      '',
      '-',
      '5-',
      '-5',
      '1-2-3',
      '007-01',
      '1796217929031',
      '1796217929031-0',
      '9'.repeat(16) + '-1',
      '1-' + '9'.repeat(16),
      'x-1',
    ];
    const ids = [...odd];
    for (let i = 0; i < 300; i++)
      ids.push(
        rand() < 0.2 ? digits(1 + Math.floor(rand() * 13)) : `${digits(1 + Math.floor(rand() * 13))}-${digits(1 + Math.floor(rand() * 4))}`,
      );
    for (let i = 0; i < 2000; i++) {
      const a = ids[Math.floor(rand() * ids.length)]!;
      const b = rand() < 0.1 ? a : ids[Math.floor(rand() * ids.length)]!;
      expect(compareIds(a, b), `${a} vs ${b}`).toBe(byParts(a, b));
    }
    expect(compareIds('1796217929031-21', '1796217929031-3')).toBeGreaterThan(0);
    expect(compareIds('99-0', '100-0')).toBeLessThan(0);
  });
});
