import { describe, expect, it } from 'vitest';
import { aggRepo, agrees, BASE, definitions, generateEvents, reference, type Ev } from './agg-fixture.js';
import { setRowsPerRange } from '../../src/duckdb/duckdb-historical-numeric.js';

// Every count, sum, mean, min and max of the fixture's view: these take the numeric fold (ADR 0098, third addendum).
const NUMERIC = [
  'count_1h',
  'count_1d',
  'rating_mean_1d',
  'rating_mean_2d',
  'rating_sum_1d',
  'rating_min_1d',
  'rating_max_1d',
  'liked_count_1d',
];

function entityRows(events: readonly Ev[], users: number): Array<{ user_id: number; event_timestamp: Date }> {
  const rows: Array<{ user_id: number; event_timestamp: Date }> = [];
  for (let k = 0; k < 240; k++) {
    const e = events[(k * 37) % events.length]!;
    // Exact event times (the window includes t), times between events and past the last one, an unknown user, a repeated row.
    const t = k % 3 === 0 ? e.ts : BASE + ((k * 7919) % (5 * 24 * 60)) * 60_000;
    rows.push({ user_id: k % 17 === 16 ? users + 5 : e.user_id, event_timestamp: new Date(t) });
    if (k % 40 === 0) rows.push({ ...rows[rows.length - 1]! });
  }
  return rows;
}

describe('aggregation views: historical retrieval of counts, sums, means and extremes', () => {
  it('gives the window rules’ values, the same as the general fold, whether the history is folded in one range or several', async () => {
    const { contents } = definitions();
    await using repo = await aggRepo(contents);
    const users = 6;
    const events = generateEvents(41, users, 4, 30);
    // The newer half in the file read first: per entity the events reach the fold out of time order.
    const half = Math.floor(events.length / 2);
    await repo.writeEvents('a', events.slice(half));
    await repo.writeEvents('b', events.slice(0, half));
    await repo.store.apply(contents, { validateSources: true });
    const rows = entityRows(events, users);
    const read = async (features: readonly string[]) => {
      const job = await repo.store.getHistoricalFeatures({ features: features.map((f) => `user_agg:${f}`), entities: rows });
      const out = await job.toRows();
      await job.close?.();
      return out;
    };
    const numeric = await read(NUMERIC);
    // With a last-n feature in the request the view takes the general fold (DuckDB-ordered stream, foldEvent).
    const general = await read([...NUMERIC, 'item_id_last_n_1d']);
    const prev = setRowsPerRange(100);
    let ranged: Awaited<ReturnType<typeof read>>;
    try {
      ranged = await read(NUMERIC);
    } finally {
      setRowsPerRange(prev);
    }
    expect(numeric).toHaveLength(rows.length);
    let nonEmpty = 0;
    numeric.forEach((o, r) => {
      expect([o.user_id, (o.event_timestamp as Date).getTime()]).toEqual([rows[r]!.user_id, rows[r]!.event_timestamp.getTime()]);
      const want = reference(events, rows[r]!.user_id, rows[r]!.event_timestamp.getTime());
      if ((want.count_1d as number) > 0) nonEmpty++;
      for (const f of NUMERIC) {
        expect(agrees(o[f], want[f]), `${f} of row ${r}: ${JSON.stringify(o[f])} vs the rules' ${JSON.stringify(want[f])}`).toBe(true);
        // The same tile partials summed in the same order: the same numbers as the general fold, not merely close.
        expect(o[f], `${f} of row ${r} against the general fold`).toEqual(general[r]![f]);
        expect(ranged[r]![f], `${f} of row ${r} folded by entity ranges`).toEqual(o[f]);
      }
    });
    // The comparison covers windows with events and without.
    expect(nonEmpty).toBeGreaterThan(rows.length / 2);
    expect(nonEmpty).toBeLessThan(rows.length);
  });
});
