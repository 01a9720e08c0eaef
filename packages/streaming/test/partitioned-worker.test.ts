import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamWorker } from '@frec/core';
import {
  applyEvent,
  emptyState,
  featuresOf,
  groupLag,
  keyString,
  partitionOf,
  planAggregations,
  type AggregateState,
} from '@frec/core/spi';
import { publishByKey } from '../src/index.js';
import { BROKERS, eventLog, streamRepo, waitFor, type StreamRepo } from './streaming-fixture.js';

const K = 4;

describe.each(BROKERS)('partitioned stream view on broker %s', (broker) => {
  let repo: StreamRepo;
  beforeAll(async () => {
    repo = await streamRepo({ broker, partitions: K });
  });
  afterAll(async () => {
    await repo?.dispose();
  });

  it('routes each entity to one partition, shares the partitions between workers and rebalances as they come and go', async () => {
    const events = eventLog(21, 900, 30);
    const batches: Array<{ worker: string; partition: number }> = [];
    const opts = (name: string) => ({
      consumer: name,
      writeOffline: false,
      blockMs: 50,
      batchSize: 25,
      leaseMs: 900,
      onBatch: (b: { partition?: number }) => batches.push({ worker: name, partition: b.partition! }),
    });
    const a = new StreamWorker(repo.store, repo.broker, [repo.view], opts('a'));
    const runA = a.run();
    await publishByKey(repo.broker, repo.view, events.slice(0, 300));
    await waitFor(
      async () => a.ownedPartitions('user_activity').length === K && a.totals.messages === 300,
      'worker a to own every partition and drain',
    );

    const b = new StreamWorker(repo.store, repo.broker, [repo.view], opts('b'));
    const runB = b.run();
    await waitFor(
      async () => a.ownedPartitions('user_activity').length === K / 2 && b.ownedPartitions('user_activity').length === K / 2,
      'a to hand half of the partitions to b',
    );
    const ofA = a.ownedPartitions('user_activity');
    const ofB = b.ownedPartitions('user_activity');
    expect([...ofA, ...ofB].sort()).toEqual([0, 1, 2, 3]);
    await publishByKey(repo.broker, repo.view, events.slice(300, 600));
    await waitFor(async () => a.totals.messages + b.totals.messages === 600, 'both to drain the second burst');
    expect(b.totals.messages, 'b did part of the work').toBeGreaterThan(0);

    // b leaves gracefully: its partitions go back to a.
    b.stop();
    await runB;
    await b.close();
    await waitFor(async () => a.ownedPartitions('user_activity').length === K, 'a to take back every partition');
    await publishByKey(repo.broker, repo.view, events.slice(600));
    await waitFor(async () => a.totals.messages + b.totals.messages === 900, 'the last burst');
    a.stop();
    await runA;
    await a.close();
    const lag = await groupLag(repo.broker, repo.topic, 'frec:streamtest:user_activity', K);
    expect(lag).toMatchObject({ pending: 0, undelivered: 0 });

    // Every event sits in its entity's partition: read each partition afresh through an audit group.
    for (let p = 0; p < K; p++) {
      const audit = await repo.broker.subscribe({ topic: repo.topic, group: 'audit', consumer: 'auditor', partition: p });
      const users = new Set<number>();
      // Acknowledged as read, so a slow read is never redelivered (NATS) and the loop ends at the first empty read.
      for (
        let got = await audit.read({ count: 1000, blockMs: 200 });
        got.length > 0;
        got = await audit.read({ count: 1000, blockMs: 200 })
      ) {
        for (const m of got) users.add(Number(m.fields.user_id));
        await audit.ack(got.map((m) => m.id));
      }
      await audit.close();
      expect(users.size, `partition ${p} holds some users`).toBeGreaterThan(0);
      for (const u of users) expect(partitionOf(keyString([u]), K), `user ${u} in partition ${p}`).toBe(p);
    }
    expect(new Set(batches.map((x) => x.partition))).toEqual(new Set([0, 1, 2, 3]));

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
    const res = await repo.store.getOnlineFeatures({
      features: ['user_activity:last_10_items', 'user_activity:count_1h', 'user_activity:sum_dwell_24h', 'user_activity:session_length'],
      entityRows: users.map((u) => ({ user_id: u })),
    });
    res.toRows().forEach((row, i) => {
      const f = featuresOf(plan, want.get(users[i]!)!);
      expect(row).toEqual({
        user_id: users[i],
        last_10_items: f.last_10_items,
        count_1h: f.count_1h,
        sum_dwell_24h: f.sum_dwell_24h,
        session_length: f.session_length,
      });
    });
  });
});
