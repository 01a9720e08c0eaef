import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { StreamWorker } from '@frec/core';
import { planAggregations, type StreamMessage, type StreamSubscription } from '@frec/core/spi';
import { BROKERS, eventLog, REDIS_URL, streamRepo, type Interaction, type StreamRepo } from './streaming-fixture.js';

/**
 * A worker keeps the states it saved between batches (stream-worker.ts, `statesOf`): on a shared
 * lane it only checks their versions, so it must still fold on a state another worker saved since.
 */
describe.each(BROKERS)('kept stream states on broker %s', (broker) => {
  let repo: StreamRepo;
  let sub: StreamSubscription;
  const group = 'frec:streamtest:user_activity';
  beforeAll(async () => {
    repo = await streamRepo({ broker });
    sub = await repo.broker.subscribe({ topic: repo.topic, group, consumer: 'reader' });
  });
  afterAll(async () => {
    await sub?.close();
    await repo?.dispose();
  });

  /** Publishes events and reads exactly those back through the shared subscription. */
  async function deliver(events: readonly Interaction[]): Promise<StreamMessage[]> {
    await repo.broker.publish(repo.topic, events);
    const got: StreamMessage[] = [];
    for (let i = 0; i < 100 && got.length < events.length; i++) got.push(...(await sub.read({ count: 1000, blockMs: 100 })));
    expect(got).toHaveLength(events.length);
    return got;
  }

  it('folds on the state another worker saved since, not on the one it kept', async () => {
    const plan = planAggregations(repo.view);
    const events = eventLog(11, 15, 1);
    const w1 = new StreamWorker(repo.store, repo.broker, [repo.view], { writeOffline: false, consumer: 'w1' });
    const w2 = new StreamWorker(repo.store, repo.broker, [repo.view], { writeOffline: false, consumer: 'w2' });
    expect(await w1.processBatch(plan, sub, await deliver(events.slice(0, 5)))).toMatchObject({ applied: 5, conflicts: 0 });
    expect(await w2.processBatch(plan, sub, await deliver(events.slice(5, 10)))).toMatchObject({ applied: 5, conflicts: 0 });
    // w1 still holds the state of its own batch (version 1); the store has w2's (version 2).
    expect(await w1.processBatch(plan, sub, await deliver(events.slice(10)))).toMatchObject({ applied: 5, conflicts: 0 });
    const [saved] = await repo.broker.stateStore('streamtest').load('user_activity', ['1']);
    expect(saved).toMatchObject({ version: 3, state: { applied: 15 } });
    const rows = (await repo.store.getOnlineFeatures({ features: ['user_activity:last_10_items'], entityRows: [{ user_id: 1 }] })).toRows();
    expect(rows[0]!.last_10_items).toEqual(
      events
        .slice(5)
        .map((e) => e.item_id)
        .reverse(),
    );
    await w1.close();
    await w2.close();
  });

  it.runIf(broker === 'redis')('does not read a kept state again while its stored version is unchanged', async () => {
    const plan = planAggregations(repo.view);
    const events = eventLog(12, 10, 1).map((e) => ({ ...e, user_id: 2 }));
    const w = new StreamWorker(repo.store, repo.broker, [repo.view], { writeOffline: false, consumer: 'w3' });
    expect(await w.processBatch(plan, sub, await deliver(events.slice(0, 5)))).toMatchObject({ applied: 5 });
    // Rewrite the stored state's JSON behind the worker's back, version untouched: only a worker that
    // parses the store's state again would see it.
    const r = new Redis(REDIS_URL);
    try {
      // The Redis state store's key layout (redis-aggregate-state-store.ts).
      const key = `${repo.prefix}frec:streamtest:agg:user_activity:2`;
      const stored = JSON.parse((await r.hget(key, 's'))!) as { applied: number };
      expect(await r.hget(key, 'v')).toBe('1');
      await r.hset(key, 's', JSON.stringify({ ...stored, applied: 1000 }));
      expect(await w.processBatch(plan, sub, await deliver(events.slice(5)))).toMatchObject({ applied: 5, conflicts: 0 });
      expect(JSON.parse((await r.hget(key, 's'))!)).toMatchObject({ applied: 10 });
      expect(await r.hget(key, 'v')).toBe('2');
    } finally {
      r.disconnect();
    }
    await w.close();
  });
});
