import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backfillStreamView } from '@frec/offline/stream-backfill';
import { recentStart, streamRepo, writeEventsParquet, type Interaction, type StreamRepo } from './streaming-fixture.js';

// Issue 23 item 2: the backfill wrote one row per event, so several events of one millisecond left
// several rows at one time and a point-in-time read picked any of the in-between states.
describe('stream backfill of events sharing a millisecond', () => {
  let repo: StreamRepo;
  beforeAll(async () => {
    repo = await streamRepo();
  });
  afterAll(async () => {
    await repo?.dispose();
  });

  it('writes one row per entity and time, the state after all events of that time', async () => {
    const t = recentStart() + 600_000;
    const users = Array.from({ length: 50 }, (_, i) => 1 + i);
    const events: Interaction[] = users.flatMap((u) => [
      { user_id: u, item_id: 1, dwell: 1, ts: t },
      { user_id: u, item_id: 2, dwell: 2, ts: t },
      { user_id: u, item_id: 3, dwell: 3, ts: t },
      { user_id: u, item_id: 4, dwell: 4, ts: t + 1000 },
    ]);
    const file = await writeEventsParquet(repo.dir, 'ties', events);
    const res = await backfillStreamView(repo.view, { events: file, offline: await repo.store.offlineStore(), batchSize: 37 });
    expect(res).toMatchObject({ events: events.length, rows: 2 * users.length, entities: users.length });

    const job = await repo.store.getHistoricalFeatures({
      entities: users.flatMap((u) => [
        { user_id: u, event_timestamp: new Date(t) },
        { user_id: u, event_timestamp: new Date(t + 999) },
        { user_id: u, event_timestamp: new Date(t + 1000) },
      ]),
      features: ['user_activity:session_length', 'user_activity:last_10_items', 'user_activity:sum_dwell_24h'],
    });
    const rows = (await job.toRows()).map((r) => ({
      user_id: Number(r.user_id),
      session_length: Number(r.session_length),
      last_10_items: (r.last_10_items as unknown[]).map(Number),
      sum_dwell_24h: r.sum_dwell_24h,
    }));
    users.forEach((u, i) => {
      expect(rows[3 * i], `user ${u} at t`).toEqual({ user_id: u, session_length: 3, last_10_items: [3, 2, 1], sum_dwell_24h: 6 });
      expect(rows[3 * i + 1], `user ${u} just before t + 1s`).toEqual(rows[3 * i]);
      expect(rows[3 * i + 2], `user ${u} at t + 1s`).toEqual({
        user_id: u,
        session_length: 4,
        last_10_items: [4, 3, 2, 1],
        sum_dwell_24h: 10,
      });
    });
  }, 60_000);
});
