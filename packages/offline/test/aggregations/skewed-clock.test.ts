import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createStreamBroker, StreamWorker } from '@frec/core';

import { aggRepo, BASE, definitions, HOUR, until } from './agg-fixture.js';

const NATS_URL = process.env.FREC_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

// An aggregation view's online row carries the entity's newest event time: a tie at that time written by
// a worker whose clock is behind the previous one's must still replace the row (the online store keeps
// the later created time at equal event times), so the created time follows the entity's saved state.
describe('aggregation views: a worker whose clock went back', () => {
  it('still updates the online tiles with an event tied at the newest time', async () => {
    const id = randomUUID().slice(0, 8);
    const topic = 'agg-skew';
    const { contents, view } = definitions({ stream: { topic, broker: 'nats' } });
    await using repo = await aggRepo(contents, {
      extra: `brokers:\n  nats:\n    servers: ${NATS_URL}\n    stream: FRECSKEW_${id}\n    subject_prefix: frecskew-${id}\n    state_bucket: frecskew_${id}_state\n    lease_bucket: frecskew_${id}_leases\n    storage: memory\n`,
    });
    await repo.writeEvents('part0', []);
    await repo.store.apply(contents, { validateSources: true });
    const broker = await createStreamBroker(repo.store.config, 'nats');
    const t = BASE + 5 * HOUR;
    const event = (item: string) => ({ user_id: '1', ts: String(t), item_id: item, rating: '4' });
    const read = async () =>
      (
        await repo.store.getOnlineFeatures({
          features: ['user_agg:count_1h', 'user_agg:item_id_last_n_1d'],
          entityRows: [{ user_id: 1 }],
          requestTime: t,
        })
      ).toRows()[0]!;
    try {
      for (const [consumer, clock, item] of [
        ['a', undefined, 'i1'],
        ['b', () => Date.now() - 3_600_000, 'i2'],
      ] as const) {
        await broker.publish(topic, [event(item)]);
        const worker = new StreamWorker(repo.store, broker, [view()], { blockMs: 50, consumer, clock });
        const running = worker.run();
        await until(() => worker.totals.messages === 1, `worker ${consumer} to apply its event`);
        worker.stop();
        await running;
        await worker.close();
      }
      expect(await read()).toMatchObject({ count_1h: 2, item_id_last_n_1d: ['i2', 'i1'] });
    } finally {
      await (broker as unknown as { destroy(): Promise<void> }).destroy();
      await broker.close();
    }
  }, 120_000);
});
