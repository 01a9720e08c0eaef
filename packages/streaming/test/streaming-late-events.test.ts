import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamWorker } from '@frec/core';
import { BROKERS, recentStart, streamRepo, waitFor, type Interaction, type StreamRepo } from './streaming-fixture.js';

/** Publishes each group of events as its own batch, waiting until the worker has taken it. */
async function deliver(repo: StreamRepo, worker: StreamWorker, groups: Interaction[][]): Promise<void> {
  let sent = 0;
  for (const g of groups) {
    await repo.broker.publish(repo.topic, g);
    sent += g.length;
    const want = sent;
    await waitFor(async () => worker.totals.messages === want, `${want} events`);
  }
}

async function historical(repo: StreamRepo, rows: Array<{ user_id: number; at: number }>): Promise<Array<Record<string, unknown>>> {
  const job = await repo.store.getHistoricalFeatures({
    entities: rows.map((r) => ({ user_id: r.user_id, event_timestamp: new Date(r.at) })),
    features: ['user_activity:last_10_items', 'user_activity:session_length', 'user_activity:count_1h'],
  });
  return (await job.toRows()).map((r) => ({
    user_id: Number(r.user_id),
    last_10_items: (r.last_10_items as unknown[] | null)?.map(Number) ?? null,
    session_length: r.session_length === null ? null : Number(r.session_length),
    count_1h: r.count_1h === null ? null : Number(r.count_1h),
  }));
}

describe.each(BROKERS)('stream worker offline rows under late and tied events (broker %s)', (broker) => {
  let repo: StreamRepo;
  beforeAll(async () => {
    repo = await streamRepo({ broker });
  });
  afterAll(async () => {
    await repo?.dispose();
  });

  // Issue 23 item 1: 1@T, 3@T+2s, then 2@T+1s late. The late event's row used to carry the newest
  // state ([3,2,1] at T+1s: item 3 from the future) and the row at T+2s was never corrected.
  it('rewrites the rows a late event changes, so every point in time reads the in-order fold', async () => {
    const T = recentStart() + 120_000;
    const worker = new StreamWorker(repo.store, repo.broker, [repo.view], { writeOffline: true, blockMs: 50, consumer: 'late' });
    const running = worker.run();
    await deliver(repo, worker, [
      [
        { user_id: 1, item_id: 1, dwell: 1, ts: T },
        { user_id: 1, item_id: 3, dwell: 3, ts: T + 2000 },
      ],
      [{ user_id: 1, item_id: 2, dwell: 2, ts: T + 1000 }],
    ]);
    worker.stop();
    await running;
    await worker.close();

    const rows = await historical(
      repo,
      [T - 1, T, T + 500, T + 1000, T + 1500, T + 2000, T + 2500].map((at) => ({ user_id: 1, at })),
    );
    expect(rows.map((r) => r.last_10_items)).toEqual([null, [1], [1], [2, 1], [2, 1], [3, 2, 1], [3, 2, 1]]);
    expect(rows.map((r) => r.session_length)).toEqual([null, 1, 1, 2, 2, 3, 3]);
    expect(rows.map((r) => r.count_1h)).toEqual([null, 1, 1, 2, 2, 3, 3]);
  }, 60_000);

  // Issue 23 item 2, the worker's half: events of one time split over two batches.
  it('gives a time tied across batches the state after all its events', async () => {
    const T = recentStart() + 3_600_000;
    const users = Array.from({ length: 20 }, (_, i) => 100 + i);
    const worker = new StreamWorker(repo.store, repo.broker, [repo.view], { writeOffline: true, blockMs: 50, consumer: 'ties' });
    const running = worker.run();
    await deliver(repo, worker, [
      users.flatMap((u) => [
        { user_id: u, item_id: 1, dwell: 1, ts: T },
        { user_id: u, item_id: 2, dwell: 1, ts: T },
      ]),
      users.map((u) => ({ user_id: u, item_id: 3, dwell: 1, ts: T })),
      users.map((u) => ({ user_id: u, item_id: 4, dwell: 1, ts: T })),
    ]);
    worker.stop();
    await running;
    await worker.close();

    const rows = await historical(
      repo,
      users.map((u) => ({ user_id: u, at: T })),
    );
    for (const r of rows) expect(r, `user ${r.user_id as number}`).toMatchObject({ session_length: 4, last_10_items: [4, 3, 2, 1] });
  }, 60_000);
});
