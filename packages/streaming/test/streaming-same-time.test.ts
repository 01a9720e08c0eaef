import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamWorker } from '@frec/core';
import { BROKERS, recentStart, streamRepo, waitFor, type StreamRepo } from './streaming-fixture.js';

// Several events of one user in the same millisecond must leave one offline row, the state after
// the last of them; otherwise a point-in-time read may return an in-between state.
describe.each(BROKERS)('stream worker offline rows for events at one time (broker %s)', (broker) => {
  let repo: StreamRepo;
  beforeAll(async () => {
    repo = await streamRepo({ broker });
  });
  afterAll(async () => {
    await repo?.dispose();
  });

  it('gives training the state after all events of that time', async () => {
    const t = recentStart() + 60_000;
    const events = [
      { user_id: 9, item_id: 1, dwell: 1, ts: t },
      { user_id: 9, item_id: 2, dwell: 2, ts: t },
      { user_id: 9, item_id: 3, dwell: 3, ts: t },
      { user_id: 9, item_id: 4, dwell: 4, ts: t + 1000 },
    ];
    const worker = new StreamWorker(repo.store, repo.broker, [repo.view], { writeOffline: true, blockMs: 100, consumer: 'same-time' });
    const running = worker.run();
    await repo.broker.publish(repo.topic, events.slice(0, 3));
    await waitFor(async () => worker.totals.messages === 3, 'the first three events');
    await repo.broker.publish(repo.topic, events.slice(3));
    await waitFor(async () => worker.totals.messages === 4, 'the fourth event');
    worker.stop();
    await running;
    await worker.close();

    const job = await repo.store.getHistoricalFeatures({
      entities: [
        { user_id: 9, event_timestamp: new Date(t) },
        { user_id: 9, event_timestamp: new Date(t + 1000) },
      ],
      features: ['user_activity:session_length', 'user_activity:last_10_items'],
    });
    const rows = await job.toRows();
    expect(rows[0]).toMatchObject({ session_length: 3, last_10_items: [3, 2, 1] });
    expect(rows[1]).toMatchObject({ session_length: 4, last_10_items: [4, 3, 2, 1] });
  });
});
