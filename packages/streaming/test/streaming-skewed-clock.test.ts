import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamWorker } from '@frec/core';
import { BROKERS, recentStart, streamRepo, waitFor, type StreamRepo } from './streaming-fixture.js';

/** Runs one worker over the next `count` messages, with its own wall clock. */
async function drain(repo: StreamRepo, consumer: string, count: number, clock?: () => number): Promise<void> {
  const worker = new StreamWorker(repo.store, repo.broker, [repo.view], { writeOffline: true, blockMs: 50, consumer, clock });
  const running = worker.run();
  await waitFor(async () => worker.totals.messages === count, `${consumer} to apply ${count} events`);
  worker.stop();
  await running;
  await worker.close();
}

// A correction written by a worker whose clock is behind the previous worker's (another machine, a restart
// after the clock was set back) must still win over the row it corrects, offline and online: the created
// time comes from the entity's saved state, not from the clock alone (ADR 0031). The flaky replay test's
// cause: a worker's per-row created times ran ahead of the wall, and the next worker's started behind them.
describe.each(BROKERS)('stream worker rows written under a clock that went back (broker %s)', (broker) => {
  let repo: StreamRepo;
  beforeAll(async () => {
    repo = await streamRepo({ broker, allowedLateness: '1h' });
  });
  afterAll(async () => {
    await repo?.dispose();
  });

  it('lets the later worker’s tie and late event win over the earlier worker’s rows', async () => {
    const t = recentStart() + 60_000;
    await repo.broker.publish(repo.topic, [
      { user_id: 5, item_id: 1, dwell: 1, ts: t },
      { user_id: 5, item_id: 2, dwell: 2, ts: t + 1000 },
    ]);
    await drain(repo, 'clock-a', 2);
    // The second worker's clock is an hour behind the first's.
    await repo.broker.publish(repo.topic, [
      { user_id: 5, item_id: 3, dwell: 3, ts: t + 1000 },
      { user_id: 5, item_id: 4, dwell: 4, ts: t + 500 },
    ]);
    await drain(repo, 'clock-b', 2, () => Date.now() - 3_600_000);

    const rows = await (
      await repo.store.getHistoricalFeatures({
        entities: [
          { user_id: 5, event_timestamp: new Date(t + 500) },
          { user_id: 5, event_timestamp: new Date(t + 1000) },
        ],
        features: ['user_activity:session_length', 'user_activity:last_10_items'],
      })
    ).toRows();
    expect(rows[0]).toMatchObject({ session_length: 2, last_10_items: [4, 1] });
    expect(rows[1]).toMatchObject({ session_length: 4, last_10_items: [3, 2, 4, 1] });
    const online = (
      await repo.store.getOnlineFeatures({
        features: ['user_activity:session_length', 'user_activity:last_10_items'],
        entityRows: [{ user_id: 5 }],
      })
    ).toRows();
    expect(online[0]).toMatchObject({ session_length: 4, last_10_items: [3, 2, 4, 1] });
  });
});
