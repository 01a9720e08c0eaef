import { describe, expect, it } from 'vitest';
import { D_USER, RANKER_FEATURE_NAMES, SIGNALS_AT } from '../src/training-sets/build-training-sets.js';
import { halfLivesMs, ItemTimeline, REQUEST_SIGNAL_NAMES, writeRequestSignals } from '../src/ranking/request-signals.js';
import { GENRES } from '../src/data/genres.js';

const DAY = 86_400_000;

describe('ranker request signals', () => {
  it('counts only events before the request, decayed by each half-life', () => {
    // Item 0 at days 0, 10, 20; item 1 at day 5, given out of time order (as serving hands them).
    const tl = new ItemTimeline([0, 1, 0, 0], [20 * DAY, 5 * DAY, 0, 10 * DAY], 2, [10 * DAY, 1e15, 1e15]);
    expect(tl.decayed(0, 20 * DAY, 0)).toBeCloseTo(0.5 + 0.25, 12);
    // At the request time itself the event is not yet counted (point in time).
    expect(tl.decayed(0, 10 * DAY, 1)).toBeCloseTo(1, 5);
    expect(tl.decayed(0, 30 * DAY, 0)).toBeCloseTo(0.5 + 0.25 + 0.125, 11);
    expect(tl.decayed(1, 5 * DAY, 0)).toBe(0);
    expect(tl.ageDays(0, 15 * DAY)).toBeCloseTo(15, 12);
    expect(tl.ageDays(1, 4 * DAY)).toBe(0);
    expect([tl.decayed(-1, DAY, 0), tl.ageDays(-1, DAY)]).toEqual([0, 0]);
    // After the last event (serving) the cached sums, scaled, equal the direct sum.
    const direct = [0, 10, 20].reduce((s, d) => s + Math.pow(2, -(45 - d) / 10), 0);
    expect(tl.decayed(0, 45 * DAY, 0)).toBeCloseTo(direct, 12);
  });

  it('sets the half-lives from the spans of the last 1%, 5% and 25% of training events', () => {
    const times = Array.from({ length: 1000 }, (_, i) => i * DAY);
    // Last event at day 999; the last 1% starts at event 990.
    expect(halfLivesMs(times)).toEqual([9 * DAY, 49 * DAY, 249 * DAY]);
    // Never under an hour, even when the last events share one timestamp.
    expect(halfLivesMs([0, 5, 5, 5])).toEqual([3_600_000, 3_600_000, 3_600_000]);
  });

  it('writes the signals between the context and the two-tower score, genre products from the row itself', () => {
    const d = RANKER_FEATURE_NAMES.length;
    expect(RANKER_FEATURE_NAMES.slice(SIGNALS_AT, SIGNALS_AT + REQUEST_SIGNAL_NAMES.length)).toEqual([...REQUEST_SIGNAL_NAMES]);
    expect(RANKER_FEATURE_NAMES[d - 1]).toBe('two_tower_score');
    const x = new Float32Array(d);
    const G = GENRES.length;
    x[4 + 1] = 0.5; // affinity for genre 1
    x[6 + G + 1] = 0.25; // recent share of genre 1
    x[4 + 2] = 0.9; // affinity for genre 2, which the item lacks
    x[D_USER + 1] = 1; // the item has genre 1
    const tl = new ItemTimeline([0], [0], 1, [DAY, DAY, DAY]);
    writeRequestSignals(x, SIGNALS_AT, 0, D_USER, tl, 0, DAY, 3);
    const at = (name: string): number => x[RANKER_FEATURE_NAMES.indexOf(name)]!;
    expect(at('affinity_x_genres')).toBeCloseTo(0.5, 6);
    expect(at('recent_genres_x_genres')).toBeCloseTo(0.25, 6);
    expect(at('log_co_occurrence')).toBeCloseTo(Math.log1p(3), 6);
    expect(at('log_pop_decay_short')).toBeCloseTo(Math.log1p(0.5), 6);
    expect(at('log_item_age_days')).toBeCloseTo(Math.log1p(1), 6);
    expect(x[d - 1]).toBe(0);
  });
});
