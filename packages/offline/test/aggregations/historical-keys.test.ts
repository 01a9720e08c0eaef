import { describe, expect, it } from 'vitest';
import { aggregationFeatureView, buildRepoContents, entity, fileSource } from '@frec/core';
import { aggRepo, agrees, BASE, generateEvents, HOUR, type Ev } from './agg-fixture.js';

const D = 24 * HOUR;

/** A view keyed by (user_id int64, item_id string): the historical path numbers entities in DuckDB, whatever the key. */
function pairDefinitions() {
  const user = entity({ name: 'user', joinKey: 'user_id', valueType: 'int64' });
  const item = entity({ name: 'item', joinKey: 'item_id', valueType: 'string' });
  const events = fileSource({ name: 'events', path: 'data/events/*.parquet', timestampField: 'ts' });
  const v = aggregationFeatureView({
    name: 'pair_agg',
    entities: [user, item],
    source: events,
    tileSize: '1h',
    aggregations: [
      { function: 'count', windows: ['1h', '1d'] },
      { column: 'rating', function: 'mean', windows: ['1d'] },
      { column: 'rating', function: 'max', windows: ['1d'] },
      { column: 'rating', function: 'lastN', n: 2, type: 'float64', windows: ['1d'] },
    ],
  });
  return buildRepoContents([user, item, events, v].map((object) => ({ object })));
}

function pairReference(events: readonly Ev[], u: number, i: string, t: number): Record<string, unknown> {
  const inWindow = (w: number) => {
    const lo = Math.floor(t / HOUR) * HOUR - w;
    return events.map((e, idx) => ({ e, idx })).filter(({ e }) => e.user_id === u && e.item_id === i && e.ts >= lo && e.ts <= t);
  };
  const ratings = inWindow(D).flatMap(({ e }) => (e.rating === null ? [] : [e.rating]));
  const newest = inWindow(D)
    .filter(({ e }) => e.rating !== null)
    .sort((a, b) => b.e.ts - a.e.ts || b.idx - a.idx);
  return {
    count_1h: inWindow(HOUR).length,
    count_1d: inWindow(D).length,
    rating_mean_1d: ratings.length ? ratings.reduce((a, b) => a + b, 0) / ratings.length : null,
    rating_max_1d: ratings.length ? Math.max(...ratings) : null,
    rating_last_n_1d: newest.slice(0, 2).map(({ e }) => e.rating),
  };
}

describe('aggregation views: historical retrieval over a composite key', () => {
  it('answers each entity row (duplicates, unknown pairs, any order) as the window rules say, in the rows’ order', async () => {
    const contents = pairDefinitions();
    await using repo = await aggRepo(contents);
    // Few items so that pairs repeat: 4 users x 15 items, 3 days.
    const events = generateEvents(23, 4, 3, 20);
    await repo.writeEvents('part0', events);
    await repo.store.apply(contents, { validateSources: true });
    const rows: Array<{ user_id: number; item_id: string; event_timestamp: Date }> = [];
    for (let k = 0; k < 150; k++) {
      const e = events[(k * 53) % events.length]!;
      // Exact event times, times between events, a pair with no events, and the same (key, time) twice.
      const t = k % 4 === 0 ? e.ts : BASE + ((k * 7919) % (3 * 24 * 60)) * 60_000;
      rows.push({ user_id: k % 10 === 9 ? 77 : e.user_id, item_id: e.item_id, event_timestamp: new Date(t) });
      if (k % 25 === 0) rows.push({ ...rows[rows.length - 1]! });
    }
    const features = ['count_1h', 'count_1d', 'rating_mean_1d', 'rating_max_1d', 'rating_last_n_1d'];
    const job = await repo.store.getHistoricalFeatures({ features: features.map((f) => `pair_agg:${f}`), entities: rows });
    const out = await job.toRows();
    await job.close?.();
    expect(out).toHaveLength(rows.length);
    let unknown = 0;
    out.forEach((o, r) => {
      expect([o.user_id, o.item_id, (o.event_timestamp as Date).getTime()]).toEqual([
        rows[r]!.user_id,
        rows[r]!.item_id,
        rows[r]!.event_timestamp.getTime(),
      ]);
      const want = pairReference(events, rows[r]!.user_id, rows[r]!.item_id, rows[r]!.event_timestamp.getTime());
      if (rows[r]!.user_id === 77) unknown++;
      for (const f of features) {
        expect(agrees(o[f], want[f]), `${f} of row ${r}: ${JSON.stringify(o[f])} vs ${JSON.stringify(want[f])}`).toBe(true);
      }
    });
    expect(unknown).toBeGreaterThan(0);
    // Some rows see events: the comparison is not all zeros.
    expect(out.filter((o) => Number(o.count_1d) > 0).length).toBeGreaterThan(rows.length / 3);
  });
});
