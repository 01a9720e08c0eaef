import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamWorker } from '@frec/core';
import { applyEvent, emptyState, planAggregations, type AggregateState } from '@frec/core/spi';
import { BROKERS, eventLog, streamRepo, waitFor, type StreamRepo } from './streaming-fixture.js';

// Two workers of one group on one unpartitioned stream get the same entities in batches at once, so
// their state saves collide; with batches in flight, a later batch folded on a lost save's state must
// not save either: its version number can equal the winner's and would overwrite the winner's events.
describe.each(BROKERS)('two workers sharing an unpartitioned stream (broker %s)', (broker) => {
  let repo: StreamRepo;
  beforeAll(async () => {
    repo = await streamRepo({ broker, ackWaitMs: 500 });
  });
  afterAll(async () => {
    await repo?.dispose();
  });

  it('counts every event once despite colliding saves', async () => {
    // Fewer than 64 events per user: the replay memory (ADR 0030) stays out of it, so a lost event here is the version clash.
    const events = eventLog(31, 1500, 100);
    let conflicts = 0;
    const workers = ['a', 'b'].map(
      (consumer) =>
        new StreamWorker(repo.store, repo.broker, [repo.view], {
          consumer,
          writeOffline: false,
          batchSize: 40,
          blockMs: 20,
          claimIdleMs: 200,
          onBatch: (b) => void (conflicts += b.conflicts),
        }),
    );
    const runs = workers.map((w) => w.run());
    await repo.broker.publish(repo.topic, events);
    await waitFor(
      async () => {
        const lag = await repo.broker.lag(repo.topic, 'frec:streamtest:user_activity');
        return lag.pending === 0 && lag.undelivered === 0;
      },
      'the group to acknowledge every event',
      60_000,
    );
    for (const w of workers) w.stop();
    await Promise.all(runs);
    for (const w of workers) await w.close();
    expect(conflicts, 'the workers did collide').toBeGreaterThan(0);
    const plan = planAggregations(repo.view);
    const want = new Map<number, AggregateState>();
    for (const e of events) {
      const s = want.get(e.user_id) ?? emptyState();
      want.set(e.user_id, s);
      applyEvent(plan, s, { timeMs: e.ts, values: { item_id: String(e.item_id), dwell: String(e.dwell) } });
    }
    const users = [...want.keys()].sort((x, y) => x - y);
    const saved = await repo.broker.stateStore('streamtest').load('user_activity', users.map(String));
    users.forEach((u, i) => expect(saved[i]?.state.applied, `events applied for user ${u}`).toBe(want.get(u)!.applied));
  });
});
