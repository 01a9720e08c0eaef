import { describe, expect, it } from 'vitest';
import { aggRepo, agrees, BASE, definitions, generateEvents, HOUR, reference } from './agg-fixture.js';

const FEATURES = [
  'count_1h',
  'count_1d',
  'rating_mean_1d',
  'rating_mean_2d',
  'rating_sum_1d',
  'rating_min_1d',
  'rating_max_1d',
  'rating_last_2d',
  'item_id_last_n_1d',
  'item_id_count_distinct_1d',
  'item_id_count_distinct_approx_1d',
  'item_id_count_distinct_approx_2d',
  'rating_distinct_1d',
  'liked_count_1d',
];

describe('aggregation views: batch tiles, online reads at the request time, historical retrieval', () => {
  it('materializes tiles and answers online (decaying without events) and offline exactly as the window rules say', async () => {
    const { contents } = definitions();
    await using repo = await aggRepo(contents);
    const events = generateEvents(7, 6, 3);
    await repo.writeEvents('part0', events);
    await repo.store.apply(contents, { validateSources: true });
    const end = new Date(BASE + 10 * 24 * HOUR);
    const days: string[] = [];
    const res = await repo.store.materialize(new Date(0), end, { onProgress: (p) => p.day && days.push(p.day.date) });
    expect(res.views[0]!.rows).toBe(6);
    expect(days.length).toBeGreaterThanOrEqual(3);

    const maxT = Math.max(...events.map((e) => e.ts));
    const users = [1, 2, 3, 4, 5, 6, 99];
    // Reads at and after the newest event: values decay as the windows move past the events.
    const times = [maxT, maxT + 1, maxT + 0.5 * HOUR, maxT + 1.5 * HOUR, maxT + 13 * HOUR, maxT + 25 * HOUR, maxT + 49 * HOUR];
    let compared = 0;
    for (const t of times) {
      const r = (
        await repo.store.getOnlineFeatures({
          features: FEATURES.map((f) => `user_agg:${f}`),
          entityRows: users.map((u) => ({ user_id: u })),
          requestTime: t,
        })
      ).toColumns();
      users.forEach((u, i) => {
        const want = reference(events, u, t);
        for (const f of FEATURES) {
          const got = (r[f] as unknown[])[i];
          if (u === 99) expect(got, f).toBeNull();
          else {
            expect(
              agrees(got, want[f]),
              `${f} of user ${u} at +${(t - maxT) / HOUR}h: ${JSON.stringify(got)} vs ${JSON.stringify(want[f])}`,
            ).toBe(true);
            compared++;
          }
        }
      });
    }
    expect(compared).toBe(times.length * 6 * FEATURES.length);
    // Two days after the last event every 1d window is empty.
    const late = (
      await repo.store.getOnlineFeatures({
        features: ['user_agg:count_1d', 'user_agg:rating_mean_1d'],
        entityRows: [{ user_id: 1 }],
        requestTime: maxT + 49 * HOUR,
      })
    ).toColumns();
    expect([late.count_1d, late.rating_mean_1d]).toEqual([[0], [null]]);

    // Historical: entity rows at many times, including before a user's first event and at exact event times.
    const rows: Array<{ user_id: number; event_timestamp: Date }> = [];
    for (let k = 0; k < 120; k++) {
      const e = events[(k * 37) % events.length]!;
      rows.push({ user_id: 1 + (k % 6), event_timestamp: new Date(k % 3 === 0 ? e.ts : BASE - HOUR + k * 41 * 60_000) });
    }
    const job = await repo.store.getHistoricalFeatures({ features: FEATURES.map((f) => `user_agg:${f}`), entities: rows });
    const out = await job.toRows();
    await job.close?.();
    expect(out).toHaveLength(rows.length);
    for (const o of out) {
      const want = reference(events, o.user_id as number, (o.event_timestamp as Date).getTime());
      for (const f of FEATURES) {
        expect(
          agrees(o[f], want[f]),
          `historical ${f} of user ${String(o.user_id)} at ${(o.event_timestamp as Date).toISOString()}: ${JSON.stringify(o[f])} vs ${JSON.stringify(want[f])}`,
        ).toBe(true);
      }
    }
  });

  it('refuses events with no event time with a coded error, writing nothing', async () => {
    const { contents } = definitions();
    await using repo = await aggRepo(contents);
    const events = generateEvents(9, 3, 1);
    await repo.writeEvents('part0', [...events, { ...events[0]!, ts: null as unknown as number }]);
    await repo.store.apply(contents, { validateSources: true });
    const err = await repo.store.materialize(new Date(0), new Date(BASE + 5 * 24 * HOUR)).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'INVALID_EVENTS', where: { featureView: 'user_agg' } });
    expect(String((err as Error).message)).toMatch(/1 events in .* have no event time/);
    const r = await repo.store.getOnlineFeatures({ features: ['user_agg:count_1d'], entityRows: [{ user_id: 1 }] });
    expect(r.toColumns().count_1d).toEqual([null]);
  });

  it('refuses events with out-of-range times (year 287,000) with a coded error naming the view and features, online and offline', async () => {
    const { contents } = definitions();
    await using repo = await aggRepo(contents);
    const events = generateEvents(9, 3, 1);
    // 9e15 ms is a valid DuckDB timestamp but past what a JavaScript Date holds.
    await repo.writeEvents('part0', [...events, { ...events[0]!, ts: 9e15 }]);
    await repo.store.apply(contents, { validateSources: true });
    const err = await repo.store.materialize(new Date(0), new Date(BASE + 5 * 24 * HOUR)).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'INVALID_EVENTS', where: { featureView: 'user_agg', column: 'ts' } });
    expect(String((err as Error).message)).toMatch(/times out of range .*latest 287\d{3}-.*features .*count_1d/);
    expect(String((err as { where: { feature: string } }).where.feature)).toMatch(/count_1d/);
    const r = await repo.store.getOnlineFeatures({ features: ['user_agg:count_1d'], entityRows: [{ user_id: 1 }] });
    expect(r.toColumns().count_1d).toEqual([null]);
    const entities = [{ user_id: events[0]!.user_id, event_timestamp: new Date(BASE + 2 * 24 * HOUR) }];
    const off = await repo.store.getHistoricalFeatures({ features: ['user_agg:count_1d'], entities }).catch((e: unknown) => e);
    expect(off).toMatchObject({ code: 'INVALID_EVENTS', where: { featureView: 'user_agg' } });
  });
});
