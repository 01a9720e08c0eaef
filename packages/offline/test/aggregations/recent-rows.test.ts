import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createStreamBroker, StreamWorker } from '@frec/core';
import { planTiles, recentStorageSpec, tileStorageSpec, TILES_COLUMN } from '@frec/core/spi';
import { aggRepo, agrees, BASE, definitions, generateEvents, HOUR, reference, type AggRepo, type Ev } from './agg-fixture.js';

const DAY = 24 * HOUR;
const USERS = [1, 2, 3, 4, 5, 99];
const NATS_URL = process.env.FREC_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

/** The stored bytes of each user's base and recent rows (hex; null when absent). */
async function rows(repo: AggRepo, which: 'base' | 'recent'): Promise<Array<string | null>> {
  const view = await repo.store.registry.getFeatureView('user_agg');
  const online = await repo.store.onlineStore();
  const spec = which === 'base' ? tileStorageSpec(view) : recentStorageSpec(view);
  const [read] = await online.readColumnsMany(repo.store.project, [{ view: spec, keys: USERS.map((u) => [u]), features: [TILES_COLUMN] }]);
  return read!.values[0]!.map((v) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : null));
}

/** Every user's online values at each time against the reference over `events`; returns how many were compared. */
async function expectReference(repo: AggRepo, events: readonly Ev[], times: readonly number[]): Promise<number> {
  const features = planTiles(await repo.store.registry.getFeatureView('user_agg')).features.map((f) => f.name);
  let compared = 0;
  for (const t of times) {
    const res = await repo.store.getOnlineFeatures({
      features: features.map((f) => `user_agg:${f}`),
      entityRows: USERS.map((u) => ({ user_id: u })),
      requestTime: t,
    });
    res.toRows().forEach((row, i) => {
      const want = reference(events, USERS[i]!, t);
      for (const f of features) {
        expect(agrees(row[f], want[f]), `${f} of user ${USERS[i]} at ${new Date(t).toISOString()}`).toBe(true);
        compared++;
      }
    });
  }
  return compared;
}

/** Days of events (day d in [BASE + d days, BASE + (d + 1) days)), with user 99 first seen on day 4. */
function history(days: number): Ev[] {
  const events = generateEvents(33, 5, days).filter((e) => e.ts < BASE + days * DAY);
  events.push({ user_id: 99, ts: BASE + 4 * DAY + 5 * HOUR, rating: 4, item_id: 'i1' });
  return events;
}

const onDays = (events: readonly Ev[], from: number, to: number) =>
  events.filter((e) => e.ts >= BASE + from * DAY && e.ts < BASE + to * DAY);

describe('aggregation views: recent rows (append-only incremental runs)', () => {
  it('an incremental run writes recent rows without rewriting the base rows; reads, later runs, compaction and a rebuild agree with the reference', async () => {
    const events = history(14);
    const { contents } = definitions();
    await using repo = await aggRepo(contents);
    await repo.writeEvents('d0-3', onDays(events, 0, 3));
    await repo.store.apply(contents, { validateSources: true });
    // The first run has no tile base: it writes base rows and sets the tile base at its end.
    await repo.store.materializeIncremental(new Date(BASE + 3 * DAY));
    const base0 = await rows(repo, 'base');
    expect(base0.slice(0, 5).every((r) => r !== null)).toBe(true);
    expect(await rows(repo, 'recent')).toEqual(USERS.map(() => null));

    await repo.writeEvents('d3-5', onDays(events, 3, 5));
    await repo.store.materializeIncremental(new Date(BASE + 5 * DAY));
    // The base rows are untouched; every user with an event on days 3-4 has a recent row, user 99 only that.
    expect(await rows(repo, 'base')).toEqual(base0);
    const recent1 = await rows(repo, 'recent');
    expect(recent1.every((r) => r !== null)).toBe(true);
    // Reads look the recent rows up only while the registry says some are live.
    expect((await repo.store.registry.materializationState('user_agg')).recentRows).toBe(true);
    const upTo5 = onDays(events, 0, 5);
    let compared = await expectReference(repo, upTo5, [BASE + 5 * DAY, BASE + 5 * DAY + 3 * HOUR, BASE + 6 * DAY + HOUR]);
    const first99 = await repo.store.getOnlineFeatures({
      features: ['user_agg:count_1d'],
      entityRows: [{ user_id: 99 }],
      requestTime: BASE + 5 * DAY,
    });
    expect(first99.toRows()[0]!.count_1d).toBe(1);

    // A second recent run rewrites the recent rows with every event since the tile base (day 3), still no base write.
    await repo.writeEvents('d5-7', onDays(events, 5, 7));
    await repo.store.materializeIncremental(new Date(BASE + 7 * DAY));
    expect(await rows(repo, 'base')).toEqual(base0);
    expect(await rows(repo, 'recent')).not.toEqual(recent1);
    compared += await expectReference(repo, onDays(events, 0, 7), [BASE + 7 * DAY, BASE + 7 * DAY + 30 * 60_000, BASE + 8 * DAY]);

    // Day 14 is more than 7 days past the tile base: this run compacts into the base rows (user 99's included).
    await repo.writeEvents('d7-14', onDays(events, 7, 14));
    await repo.store.materializeIncremental(new Date(BASE + 14 * DAY));
    const base1 = await rows(repo, 'base');
    expect(base1.every((r, i) => r !== null && r !== base0[i])).toBe(true);
    compared += await expectReference(repo, events, [BASE + 14 * DAY, BASE + 14 * DAY + 2 * HOUR, BASE + 15 * DAY]);
    const compacted = await repo.store.registry.materializationState('user_agg');
    expect(compacted.tileBase).toBe(new Date(BASE + 14 * DAY).toISOString());
    expect(compacted.recentRows).toBeUndefined();

    // The recent rows left from before the compaction are stale: a full rebuild and a recent run after it read right.
    // The rebuild ends inside a tile (14d + 30 min): user 2's tile 14d is in its base row and in its recent row after.
    const more: Ev[] = [
      { user_id: 2, ts: BASE + 14 * DAY + 10 * 60_000, rating: 1, item_id: 'i2' },
      { user_id: 2, ts: BASE + 14 * DAY + 40 * 60_000, rating: 3, item_id: 'i4' },
      { user_id: 99, ts: BASE + 14 * DAY + 20 * HOUR, rating: null, item_id: 'i3' },
    ];
    await repo.writeEvents('d14', more);
    const rebuildEnd = BASE + 14 * DAY + 30 * 60_000;
    await repo.store.materialize(new Date(0), new Date(rebuildEnd));
    const rebuilt = await rows(repo, 'base');
    const before = [...events, ...more].filter((e) => e.ts < rebuildEnd);
    compared += await expectReference(repo, before, [rebuildEnd, BASE + 15 * DAY]);
    await repo.store.materializeIncremental(new Date(BASE + 15 * DAY));
    expect(await rows(repo, 'base')).toEqual(rebuilt);
    compared += await expectReference(repo, [...events, ...more], [BASE + 15 * DAY, BASE + 15 * DAY + 5 * HOUR, BASE + 16 * DAY]);
    expect(compared).toBe(14 * USERS.length * planTiles(await repo.store.registry.getFeatureView('user_agg')).features.length);
  });

  it('a stream worker started after a recent run continues from the base and the recent rows', async () => {
    const id = randomUUID().slice(0, 8);
    const { contents, view } = definitions({ stream: { topic: 'agg-recent', broker: 'nats' } });
    await using repo = await aggRepo(contents, {
      extra: `brokers:\n  nats:\n    servers: ${NATS_URL}\n    stream: FRECREC_${id}\n    subject_prefix: frecrec-${id}\n    state_bucket: frecrec_${id}_state\n    lease_bucket: frecrec_${id}_leases\n    storage: memory\n`,
    });
    const events = history(6);
    const batch = onDays(events, 0, 5);
    await repo.writeEvents('d0-3', onDays(events, 0, 3));
    await repo.store.apply(contents, { validateSources: true });
    await repo.store.materializeIncremental(new Date(BASE + 3 * DAY));
    await repo.writeEvents('d3-5', onDays(events, 3, 5));
    await repo.store.materializeIncremental(new Date(BASE + 5 * DAY));
    expect((await rows(repo, 'recent')).every((r) => r !== null)).toBe(true);
    const broker = await createStreamBroker(repo.store.config, 'nats');
    const worker = new StreamWorker(repo.store, broker, [view()], { blockMs: 50, consumer: 'w1' });
    const running = worker.run();
    const streamed = onDays(events, 5, 6);
    try {
      await broker.publish(
        'agg-recent',
        streamed.map((e) => {
          const f: Record<string, string> = { user_id: String(e.user_id), ts: String(e.ts), item_id: e.item_id };
          if (e.rating !== null) f.rating = String(e.rating);
          return f;
        }),
      );
      for (let i = 0; i < 6000 && worker.totals.messages < streamed.length; i++) await new Promise((r) => setTimeout(r, 20));
      expect(worker.totals.messages).toBe(streamed.length);
      // Users 1-5 have stream events on day 5: their rows now hold the batch's days 0-4 (base and recent) and day 5.
      const all = [...batch, ...streamed];
      const maxT = Math.max(...all.map((e) => e.ts));
      const features = planTiles(view()).features.map((f) => f.name);
      const res = await repo.store.getOnlineFeatures({
        features: features.map((f) => `user_agg:${f}`),
        entityRows: [1, 2, 3, 4, 5].map((u) => ({ user_id: u })),
        requestTime: maxT + HOUR,
      });
      res.toRows().forEach((row, i) => {
        const want = reference(all, i + 1, maxT + HOUR);
        for (const f of features) expect(agrees(row[f], want[f]), `${f} of user ${i + 1}`).toBe(true);
      });
    } finally {
      worker.stop();
      await running;
      await worker.close();
      await (broker as unknown as { destroy(): Promise<void> }).destroy();
      await broker.close();
    }
  });
});
