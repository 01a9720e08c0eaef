import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamWorker, type FeatureValue } from '@frec/core';
import { applyEvent, emptyState, featuresOf, planAggregations, type AggregateState } from '@frec/core/spi';
import {
  BROKERS,
  deadLettersOf,
  eventLog,
  recentStart,
  streamRepo,
  waitFor,
  type Interaction,
  type StreamRepo,
} from './streaming-fixture.js';

/** The features each user should have after all of `events`, folded in order by the shared code. */
function expected(
  repo: StreamRepo,
  events: readonly Interaction[],
): Map<number, { state: AggregateState; features: Record<string, FeatureValue> }> {
  const plan = planAggregations(repo.view);
  const out = new Map<number, { state: AggregateState; features: Record<string, FeatureValue> }>();
  for (const e of events) {
    let s = out.get(e.user_id);
    if (!s) out.set(e.user_id, (s = { state: emptyState(), features: {} }));
    applyEvent(plan, s.state, { timeMs: e.ts, values: { item_id: String(e.item_id), dwell: String(e.dwell) } });
  }
  for (const s of out.values()) s.features = featuresOf(plan, s.state);
  return out;
}

describe.each(BROKERS)('stream worker on broker %s', (broker) => {
  let repo: StreamRepo;
  beforeAll(async () => {
    // NATS: the dead consumer's messages must stay pending while the test checks them, even on a loaded machine.
    repo = await streamRepo({ broker, ackWaitMs: 2500 });
  });
  afterAll(async () => {
    await repo?.dispose();
  });

  it('computes the aggregates online, dead-letters a bad event and reports lag and freshness', async () => {
    const events = eventLog(1, 600, 20);
    const worker = new StreamWorker(repo.store, repo.broker, [repo.view], { writeOffline: false, blockMs: 100, consumer: 'w1' });
    const running = worker.run();
    await repo.broker.publish(repo.topic, events.slice(0, 300));
    await repo.broker.publish(repo.topic, [{ user_id: 'not-a-number', item_id: 1, ts: 5 }]);
    await repo.broker.publish(repo.topic, events.slice(300));
    await waitFor(async () => worker.totals.messages === 601, 'the worker to read every event');
    worker.stop();
    await running;
    await worker.close();
    expect(worker.totals).toMatchObject({ messages: 601, applied: 600, replayed: 0, invalid: 1 });

    const want = expected(repo, events);
    const users = [...want.keys()].sort((a, b) => a - b);
    const res = await repo.store.getOnlineFeatures({
      features: [
        'user_activity:last_10_items',
        'user_activity:count_1h',
        'user_activity:sum_dwell_24h',
        'user_activity:mean_dwell_7d',
        'user_activity:session_length',
        'user_activity:session_duration',
      ],
      entityRows: users.map((u) => ({ user_id: u })),
    });
    const rows = res.toRows();
    users.forEach((u, i) => expect(rows[i]).toEqual({ user_id: u, ...want.get(u)!.features }));
    expect(rows.find((r) => r.user_id === users[0])!.last_10_items).toHaveLength(10);

    const dead = await deadLettersOf(repo.broker, repo.topic);
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({
      user_id: 'not-a-number',
      frec_reason: expect.stringContaining("join key 'user_id' is missing or not int64"),
    });

    const [f] = await repo.store.freshness(['user_activity']);
    expect(f).toMatchObject({ view: 'user_activity', kind: 'stream', consumerLag: { pending: 0, undelivered: 0 } });
    const newest = Math.max(...events.map((e) => e.ts));
    expect(f!.newestValueAgeSeconds).toBeCloseTo((Date.now() - newest) / 1000, -1);
    expect(f!.lastWriteAgeSeconds!).toBeLessThan(30);
  });

  it('skips a replayed batch and claims the pending events of a dead consumer', async () => {
    const before = await repo.broker.lag(repo.topic, 'frec:streamtest:user_activity');
    expect(before.pending).toBe(0);
    const events = eventLog(2, 200, 5, recentStart() + 3 * 86_400_000);
    // Consumer 'dead' reads events and never acknowledges them, as if it crashed.
    const dead = await repo.broker.subscribe({ topic: repo.topic, group: 'frec:streamtest:user_activity', consumer: 'dead' });
    await repo.broker.publish(repo.topic, events);
    const taken = [];
    while (taken.length < 200) taken.push(...(await dead.read({ count: 1000, blockMs: 100 })));
    expect(taken).toHaveLength(200);
    await dead.close();
    expect((await repo.broker.lag(repo.topic, 'frec:streamtest:user_activity')).pending).toBe(200);

    const plan = planAggregations(repo.view);
    const worker = new StreamWorker(repo.store, repo.broker, [repo.view], {
      writeOffline: false,
      blockMs: 100,
      claimIdleMs: 300,
      consumer: 'w2',
    });
    const statesBefore = await repo.broker.stateStore('streamtest').load('user_activity', ['1', '2', '3', '4', '5']);
    const running = worker.run();
    await waitFor(async () => worker.totals.messages >= 200, "the dead consumer's events to be claimed");
    worker.stop();
    await running;
    expect(worker.totals).toMatchObject({ applied: 200, replayed: 0 });
    expect((await repo.broker.lag(repo.topic, 'frec:streamtest:user_activity')).pending).toBe(0);

    // Replaying the same messages (a crash before XACK) changes nothing.
    const sub = await repo.broker.subscribe({ topic: repo.topic, group: 'frec:streamtest:user_activity', consumer: 'replayer' });
    const again = await worker.processBatch(plan, sub, taken);
    expect(again).toMatchObject({ applied: 0, replayed: 200 });
    await sub.close();
    await worker.close();
    const after = await repo.broker.stateStore('streamtest').load('user_activity', ['1', '2', '3', '4', '5']);
    const perUser = new Map<number, number>();
    for (const e of events) perUser.set(e.user_id, (perUser.get(e.user_id) ?? 0) + 1);
    [1, 2, 3, 4, 5].forEach((u, i) => expect(after[i]!.state.applied - (statesBefore[i]?.state.applied ?? 0)).toBe(perUser.get(u) ?? 0));
  });
});
