import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createStreamBroker, StreamWorker } from '@frec/core';
import { planTiles } from '@frec/core/spi';

import { aggRepo, agrees, BASE, definitions, generateEvents, HOUR, reference, until, type Ev } from './agg-fixture.js';

const NATS_URL = process.env.FREC_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

function published(e: Ev): Record<string, string> {
  const f: Record<string, string> = { user_id: String(e.user_id), ts: String(e.ts), item_id: e.item_id };
  if (e.rating !== null) f.rating = String(e.rating);
  return f;
}

describe('aggregation views: one truth', () => {
  it('the stream path online and the batch path offline agree at every request time, for every kind (100%)', async () => {
    // NATS JetStream in memory, in buckets of its own: dropped whole at the end (no key scan).
    const id = randomUUID().slice(0, 8);
    const topic = 'agg-events';
    const { contents, view } = definitions({ stream: { topic, broker: 'nats' } });
    await using repo = await aggRepo(contents, {
      extra: `brokers:\n  nats:\n    servers: ${NATS_URL}\n    stream: FRECAGG_${id}\n    subject_prefix: frecagg-${id}\n    state_bucket: frecagg_${id}_state\n    lease_bucket: frecagg_${id}_leases\n    storage: memory\n`,
    });
    const events = generateEvents(11, 8, 3);
    // The batch source holds the same events in the same (arrival) order.
    await repo.writeEvents('part0', events);
    await repo.store.apply(contents, { validateSources: true });
    const spec = view();
    const features = planTiles(spec).features.map((f) => f.name);
    const broker = await createStreamBroker(repo.store.config, 'nats');
    const worker = new StreamWorker(repo.store, broker, [spec], { blockMs: 50, batchSize: 97, consumer: 'w1' });
    const t0 = performance.now();
    const running = worker.run();
    const checkpoints: Array<{ user_id: number; t: number; values: Record<string, unknown> }> = [];
    const chunks = 6;
    const size = Math.ceil(events.length / chunks);
    try {
      for (let c = 0; c < chunks; c++) {
        const part = events.slice(c * size, (c + 1) * size);
        await broker.publish(topic, part.map(published));
        const sent = Math.min(events.length, (c + 1) * size);
        await until(() => worker.totals.messages >= sent, `the worker to read ${sent} events`);
        const maxT = Math.max(...events.slice(0, sent).map((e) => e.ts));
        const later = events.slice(sent);
        const laterMin = later.length ? Math.min(...later.map((e) => e.ts)) : Number.POSITIVE_INFINITY;
        // Request times at or after every event seen, and before every event still to come.
        const times = [0, 1, 7 * 60_000, 50 * 60_000, 3 * HOUR, 25 * HOUR, 49 * HOUR].map((d) => maxT + d).filter((t) => t < laterMin);
        for (const t of times) {
          const users = [1, 2, 3, 4, 5, 6, 7, 8];
          const res = (
            await repo.store.getOnlineFeatures({
              features: features.map((f) => `user_agg:${f}`),
              entityRows: users.map((u) => ({ user_id: u })),
              requestTime: t,
            })
          ).toRows();
          res.forEach((r, i) => {
            if (r.count_1d === null) return; // no event of that user yet
            checkpoints.push({ user_id: users[i]!, t, values: r });
          });
        }
      }
    } finally {
      worker.stop();
      await running;
      await worker.close();
      await (broker as unknown as { destroy(): Promise<void> }).destroy();
      await broker.close();
    }
    console.log(`stream phase ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    expect(worker.totals).toMatchObject({ messages: events.length, applied: events.length, invalid: 0 });
    expect(checkpoints.length).toBeGreaterThan(100);

    // The batch path: historical retrieval at every checkpoint.
    const job = await repo.store.getHistoricalFeatures({
      features: features.map((f) => `user_agg:${f}`),
      entities: checkpoints.map((c) => ({ user_id: c.user_id, event_timestamp: new Date(c.t) })),
    });
    const offline = await job.toRows();
    await job.close?.();
    const byKind = new Map<string, { agree: number; total: number }>();
    const disagreements: string[] = [];
    const plan = planTiles(spec);
    checkpoints.forEach((c, i) => {
      for (const f of features) {
        const kind = plan.features[plan.byName.get(f)!]!.fn;
        const k = byKind.get(kind) ?? byKind.set(kind, { agree: 0, total: 0 }).get(kind)!;
        k.total++;
        if (agrees(c.values[f], offline[i]![f])) k.agree++;
        else if (disagreements.length < 5)
          disagreements.push(
            `${f} user ${c.user_id} t=${c.t}: online ${JSON.stringify(c.values[f])} offline ${JSON.stringify(offline[i]![f])}`,
          );
      }
    });
    const table = [...byKind].map(([kind, r]) => `${kind}: ${r.agree}/${r.total} (${((100 * r.agree) / r.total).toFixed(1)}%)`);
    console.log(`stream online vs batch offline agreement per kind:\n  ${table.join('\n  ')}`);
    expect(disagreements).toEqual([]);
    expect([...byKind.keys()].sort()).toEqual([
      'count',
      'count_distinct',
      'count_distinct_approx',
      'last',
      'last_n',
      'max',
      'mean',
      'min',
      'sum',
    ]);
    for (const r of byKind.values()) expect(r.agree).toBe(r.total);

    console.log(`offline phase done at ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    // The batch path online: materialized tiles answer as the stream's did at the last checkpoints.
    const last = checkpoints.filter((c) => c.t >= Math.max(...events.map((e) => e.ts)));
    const { contents: batchContents } = definitions();
    await using batchRepo = await aggRepo(batchContents);
    await batchRepo.writeEvents('part0', events);
    await batchRepo.store.apply(batchContents, { validateSources: true });
    await batchRepo.store.materialize(new Date(0), new Date(BASE + 30 * 24 * HOUR));
    for (const c of last) {
      const [row] = (
        await batchRepo.store.getOnlineFeatures({
          features: features.map((f) => `user_agg:${f}`),
          entityRows: [{ user_id: c.user_id }],
          requestTime: c.t,
        })
      ).toRows();
      for (const f of features) expect(agrees(row![f], c.values[f]), `${f} of ${c.user_id} at ${c.t}`).toBe(true);
    }
  }, 240_000);

  it('a stream started after a batch materialization continues its tiles; an event later than the allowed lateness is dropped and counted', async () => {
    const id = randomUUID().slice(0, 8);
    const { contents, view } = definitions({ stream: { topic: 'agg-late', broker: 'nats' } });
    await using repo = await aggRepo(contents, {
      extra: `brokers:\n  nats:\n    servers: ${NATS_URL}\n    stream: FRECAGG_${id}\n    subject_prefix: frecagg-${id}\n    state_bucket: frecagg_${id}_state\n    lease_bucket: frecagg_${id}_leases\n    storage: memory\n`,
    });
    const events = generateEvents(5, 4, 2);
    const half = Math.floor(events.length / 2);
    await repo.writeEvents('part0', events.slice(0, half));
    await repo.store.apply(contents, { validateSources: true });
    await repo.store.materialize(new Date(0), new Date(BASE + 30 * 24 * HOUR));
    const spec = view();
    const features = planTiles(spec).features.map((f) => f.name);
    const broker = await createStreamBroker(repo.store.config, 'nats');
    const worker = new StreamWorker(repo.store, broker, [spec], { blockMs: 50, consumer: 'w1' });
    const running = worker.run();
    const maxT = Math.max(...events.map((e) => e.ts));
    const read = async () =>
      (
        await repo.store.getOnlineFeatures({
          features: features.map((f) => `user_agg:${f}`),
          entityRows: [1, 2, 3, 4].map((u) => ({ user_id: u })),
          requestTime: maxT + 10 * 60_000,
        })
      ).toRows();
    try {
      await broker.publish('agg-late', events.slice(half).map(published));
      await until(() => worker.totals.messages >= events.length - half, 'the second half');
      const rows = await read();
      rows.forEach((r, i) => {
        const want = reference(events, i + 1, maxT + 10 * 60_000);
        for (const f of features) expect(agrees(r[f], want[f]), `${f} of user ${i + 1}`).toBe(true);
      });
      // Three hours older than user 1's newest event: beyond the 1h lateness.
      const newest1 = Math.max(...events.filter((e) => e.user_id === 1).map((e) => e.ts));
      await broker.publish('agg-late', [published({ user_id: 1, ts: newest1 - 3 * HOUR, rating: 5, item_id: 'late' })]);
      await until(() => worker.totals.messages >= events.length - half + 1, 'the late event');
      expect(worker.totals.late).toBe(1);
      expect(await read()).toEqual(rows);
    } finally {
      worker.stop();
      await running;
      await worker.close();
      await (broker as unknown as { destroy(): Promise<void> }).destroy();
      await broker.close();
    }
  });
});
