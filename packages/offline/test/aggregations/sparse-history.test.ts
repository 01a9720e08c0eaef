import { describe, expect, it } from 'vitest';
import { aggRepo, agrees, BASE, definitions, HOUR, reference, type Ev } from './agg-fixture.js';

const DAY = 24 * HOUR;

describe('aggregation views: a long, sparse history', () => {
  it('tiles years of a few events a day in a few statements, with the same tiles', async () => {
    const { contents } = definitions();
    await using repo = await aggRepo(contents);
    // 3 years, one event every ~10 days: one statement per day would be ~1,100 statements for 110 events.
    const events: Ev[] = Array.from({ length: 110 }, (_, i) => ({
      user_id: 1 + (i % 3),
      ts: BASE - 3 * 365 * DAY + i * 10 * DAY + (i % 7) * HOUR,
      rating: (i % 10) / 2,
      item_id: `i${i % 4}`,
    }));
    // Two on the last day, so the 1h and 1d windows at the newest event are not empty.
    const maxT = events[events.length - 1]!.ts;
    events.push({ user_id: 1, ts: maxT - HOUR, rating: 4, item_id: 'i9' }, { user_id: 1, ts: maxT - 1, rating: 5, item_id: 'i8' });
    await repo.writeEvents('part0', events);
    await repo.store.apply(contents, { validateSources: true });
    const days: string[] = [];
    const res = await repo.store.materialize(new Date(0), new Date(BASE), { onProgress: (p) => p.day && days.push(p.day.date) });
    expect(res.views[0]!.rows).toBe(3);
    expect(days.length).toBeGreaterThanOrEqual(1);
    expect(days.length).toBeLessThanOrEqual(2);

    const users = [1, 2, 3];
    const fields = Object.keys(reference(events, 1, maxT));
    const r = (
      await repo.store.getOnlineFeatures({
        features: fields.map((f) => `user_agg:${f}`),
        entityRows: users.map((u) => ({ user_id: u })),
        requestTime: maxT,
      })
    ).toColumns();
    let compared = 0;
    users.forEach((u, i) => {
      const want = reference(events, u, maxT);
      for (const f of fields) {
        expect(agrees(r[f]![i], want[f]), `${f} of user ${u}: ${JSON.stringify(r[f]![i])} vs ${JSON.stringify(want[f])}`).toBe(true);
        compared++;
      }
    });
    expect(compared).toBe(users.length * fields.length);
    expect(r.count_1d![0]).toBe(2);
  });
});
