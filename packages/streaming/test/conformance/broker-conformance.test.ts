import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareIds, emptyState, type StreamMessage, type StreamSubscription } from '@frec/core/spi';
import { BROKER_KITS, type OpenedBroker } from './broker-kits.js';

/** Polls `f` until it returns a value `ok` accepts; the limit only guards against a hang, it is no timing claim. */
async function eventually<T>(f: () => Promise<T>, ok: (v: T) => boolean, what: string, limitMs = 20_000): Promise<T> {
  const end = Date.now() + limitMs;
  for (;;) {
    const v = await f();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}; last: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Reads (and, where the broker needs it, claims) until `n` distinct messages have come, in arrival
 * order; a redelivery of one already read (a loaded machine can outlast an ack wait) is not counted twice.
 */
async function readN(sub: StreamSubscription, n: number, claimIdleMs?: number): Promise<StreamMessage[]> {
  const got = new Map<string, StreamMessage>();
  const add = (ms: StreamMessage[]) => ms.forEach((m) => got.has(m.id) || got.set(m.id, m));
  await eventually(
    async () => {
      if (claimIdleMs !== undefined) add(await sub.claimStale({ minIdleMs: claimIdleMs, count: n }));
      if (got.size < n) add(await sub.read({ count: n - got.size, blockMs: 100 }));
      return got.size;
    },
    (c) => c >= n,
    `${n} messages`,
  );
  return [...got.values()];
}

const events = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => ({ user_id: (from + i) % 7, seq: from + i, ts: 1_700_000_000_000 + from + i }));

describe.each(BROKER_KITS.map((k) => [k.type, k] as const))('broker conformance: %s', (_type, kit) => {
  let b: OpenedBroker;
  beforeAll(async () => {
    b = await kit.open();
  });
  afterAll(async () => {
    await b?.drop();
  });

  it('round-trips published events as text fields, with ordered IDs', async () => {
    const topic = b.topic('roundtrip');
    const when = new Date(1_700_000_123_456);
    const ids = await b.broker.publish(topic, [
      { user_id: 1, name: 'ada', ts: when, items: [3, 4], none: null },
      { user_id: 2, name: 'bob', ts: 5 },
    ]);
    expect(ids).toHaveLength(2);
    expect(compareIds(ids[0]!, ids[1]!)).toBeLessThan(0);
    const sub = await b.broker.subscribe({ topic, group: 'g-roundtrip', consumer: 'c1' });
    const got = await readN(sub, 2);
    expect(got.map((m) => m.id)).toEqual(ids);
    expect(got[0]!.fields).toEqual({ user_id: '1', name: 'ada', ts: String(when.getTime()), items: '[3,4]', none: '' });
    expect(got[1]!.fields).toEqual({ user_id: '2', name: 'bob', ts: '5' });
    await sub.ack(ids);
    await sub.close();
  });

  it('keeps the publish order within a partition, and partitions apart', async () => {
    const topic = b.topic('ordered');
    for (let i = 0; i < 4; i++) await b.broker.publish(topic, events(50, i * 50), { partition: 2 });
    await b.broker.publish(topic, events(5, 1000), { partition: 1 });
    const p2 = await b.broker.subscribe({ topic, group: 'g-order', consumer: 'c1', partition: 2 });
    const got = await readN(p2, 200);
    expect(got.map((m) => Number(m.fields.seq))).toEqual(Array.from({ length: 200 }, (_, i) => i));
    for (let i = 1; i < got.length; i++) expect(compareIds(got[i - 1]!.id, got[i]!.id)).toBeLessThan(0);
    expect(await p2.read({ count: 10, blockMs: 200 }), 'partition 1 events never reach partition 2').toEqual([]);
    await p2.ack(got.map((m) => m.id));
    const p1 = await b.broker.subscribe({ topic, group: 'g-order', consumer: 'c1', partition: 1 });
    expect((await readN(p1, 5)).map((m) => Number(m.fields.seq))).toEqual([1000, 1001, 1002, 1003, 1004]);
    await Promise.all([p1.close(), p2.close()]);
  });

  it('redelivers what was not acknowledged to a restarted consumer, and never what was', async () => {
    const topic = b.topic('redeliver');
    const ids = await b.broker.publish(topic, events(5));
    const first = await b.broker.subscribe({ topic, group: 'g-redeliver', consumer: 'c1' });
    const got = await readN(first, 5);
    await first.ack(ids.slice(0, 3));
    await first.close();
    // The same consumer after a restart: its two unacknowledged messages, and only those.
    const again = await b.broker.subscribe({ topic, group: 'g-redeliver', consumer: 'c1' });
    const back = await readN(again, 2, b.claimIdleMs);
    expect(back.map((m) => m.id).sort(compareIds)).toEqual(ids.slice(3));
    expect(back.map((m) => m.fields)).toEqual(got.slice(3).map((m) => m.fields));
    await again.ack(back.map((m) => m.id));
    expect(await again.read({ count: 10, blockMs: 300 })).toEqual([]);
    await eventually(
      () => b.broker.lag(topic, 'g-redeliver'),
      (l) => l.pending === 0 && l.undelivered === 0,
      'no lag',
    );
    await again.close();
  });

  it("lets another member take over a dead member's unacknowledged messages", async () => {
    const topic = b.topic('claim');
    const ids = await b.broker.publish(topic, events(10), { partition: 0 });
    const dead = await b.broker.subscribe({ topic, group: 'g-claim', consumer: 'dead', partition: 0 });
    await readN(dead, 10);
    await dead.close();
    const other = await b.second();
    const heir = await other.subscribe({ topic, group: 'g-claim', consumer: 'heir', partition: 0 });
    const taken = await readN(heir, 10, b.claimIdleMs);
    expect(taken.map((m) => m.id).sort(compareIds)).toEqual(ids);
    await heir.ack(taken.map((m) => m.id));
    await eventually(
      () => other.lag(topic, 'g-claim', 0),
      (l) => l.pending === 0 && l.undelivered === 0,
      'no lag after the takeover',
    );
    await heir.close();
  });

  it('parks a malformed event in the dead letters with its reason and fields', async () => {
    const topic = b.topic('dead');
    const [id] = await b.broker.publish(topic, [{ user_id: 'not-a-number', ts: 'yesterday' }], { partition: 3 });
    const sub = await b.broker.subscribe({ topic, group: 'g-dead', consumer: 'c1', partition: 3 });
    const [m] = await readN(sub, 1);
    await sub.deadLetter(m!, "join key 'user_id' is missing or not int64");
    await sub.ack([m!.id]);
    const dead = await b.deadLetters(topic, 3);
    expect(dead).toEqual([
      { frec_id: id, frec_reason: "join key 'user_id' is missing or not int64", user_id: 'not-a-number', ts: 'yesterday' },
    ]);
    expect(await b.deadLetters(topic, 2)).toEqual([]);
    await sub.close();
  });

  it('reports lag: undelivered plus pending, the oldest unacknowledged append time, the newest ID', async () => {
    const topic = b.topic('lag');
    const before = Date.now();
    const ids = await b.broker.publish(topic, events(12), { partition: 1 });
    const none = await b.broker.lag(topic, 'g-lag', 1);
    expect(none).toMatchObject({ pending: 0, undelivered: 12, lastId: ids[11] });
    expect(none.oldestUnackedMs).toBeGreaterThanOrEqual(before - 50);
    expect(none.oldestUnackedMs).toBeLessThanOrEqual(Date.now());
    const sub = await b.broker.subscribe({ topic, group: 'g-lag', consumer: 'c1', partition: 1 });
    const got = await readN(sub, 4);
    await sub.ack(got.slice(0, 4).map((m) => m.id));
    // A broker may pull ahead of the reader (NATS buffers), so only the sum is fixed: 8 not yet acknowledged.
    const mid = await eventually(
      () => sub.lag(),
      (l) => l.pending + (l.undelivered ?? 0) === 8,
      '8 behind',
    );
    expect(mid.oldestUnackedMs).toBeGreaterThanOrEqual(before - 50);
    const rest = await readN(sub, 8);
    await sub.ack(rest.map((m) => m.id));
    const done = await eventually(
      () => b.broker.lag(topic, 'g-lag', 1),
      (l) => l.pending === 0 && l.undelivered === 0,
      'caught up',
    );
    expect(done.oldestUnackedMs ?? null).toBeNull();
    expect(done.lastId).toBe(ids[11]);
    await sub.close();
  });

  it('saves aggregate states by compare-and-set: a stale version loses, across connections too', async () => {
    const view = `conf_view_${kit.type}`;
    const one = b.broker.stateStore('confproj');
    const other = (await b.second()).stateStore('confproj');
    const s = (applied: number) => JSON.stringify({ ...emptyState(), applied });
    expect(await one.save(view, [{ key: 'u1', json: s(1), expected: 0 }])).toEqual([true]);
    expect(await one.save(view, [{ key: 'u1', json: s(9), expected: 0 }]), 'absent expected, but it exists').toEqual([false]);
    expect(await one.save(view, [{ key: 'u1', json: s(2), expected: 1 }])).toEqual([true]);
    expect(await other.save(view, [{ key: 'u1', json: s(9), expected: 1 }]), 'a stale version').toEqual([false]);
    const [loaded] = await other.load(view, ['u1']);
    expect(loaded).toMatchObject({ version: 2, state: { applied: 2 } });
    // Two writers that both read version 2: exactly one wins.
    await one.load(view, ['u1']);
    const race = await Promise.all([
      one.save(view, [{ key: 'u1', json: s(3), expected: 2 }]),
      other.save(view, [{ key: 'u1', json: s(4), expected: 2 }]),
    ]);
    expect(race.flat().filter(Boolean)).toHaveLength(1);
    const [after] = await one.load(view, ['u1']);
    expect(after!.version).toBe(3);
    expect(after!.state.applied).toBe(race[0]![0] ? 3 : 4);
    // A batch mixes winners and losers per key.
    expect(
      await one.save(view, [
        { key: 'u1', json: s(5), expected: 3 },
        { key: 'u2', json: s(1), expected: 4 },
        { key: 'u3', json: s(1), expected: 0 },
      ]),
    ).toEqual([true, false, true]);
    expect((await other.load(view, ['u1', 'u2', 'u3'])).map((x) => x?.version ?? null)).toEqual([4, null, 1]);
    // A load of more keys than one store call takes keeps the order, absent keys included.
    const many = Array.from({ length: 450 }, (_, i) => `m${i}`);
    const saved = many.filter((_, i) => i % 3 === 0);
    expect(
      await one.save(
        view,
        saved.map((key) => ({ key, json: s(Number(key.slice(1))), expected: 0 })),
      ),
    ).toEqual(saved.map(() => true));
    const loadedMany = await other.load(view, many);
    expect(loadedMany.map((x) => x?.state.applied ?? null)).toEqual(many.map((_, i) => (i % 3 === 0 ? i : null)));
    // A store that checks held versions (optional): unchanged -> undefined, changed or unheld -> the state, absent -> null.
    if (other.loadChanged) {
      const known = many.map((_, i) => (i % 3 === 0 ? (i % 2 === 0 ? 1 : 7) : i % 5 === 0 ? 1 : -1));
      const changed = await other.loadChanged(view, many, known);
      expect(changed).toHaveLength(many.length);
      many.forEach((_, i) => {
        if (i % 3 !== 0) expect(changed[i], `m${i}`).toBeNull();
        else if (i % 2 === 0) expect(changed[i], `m${i}`).toBeUndefined();
        else expect(changed[i], `m${i}`).toEqual({ version: 1, state: expect.objectContaining({ applied: i }) });
      });
    }
    await one.recordProgress(view, 2000);
    await other.recordProgress(view, 1000);
    expect((await one.progress(view)).newestEventMs, 'progress only moves forward').toBe(2000);
    await one.clear(view);
    expect(await other.load(view, ['u1', 'u3'])).toEqual([null, null]);
    expect(await one.progress(view)).toEqual({ newestEventMs: null, updatedAtMs: null });
    await Promise.all([one.close(), other.close()]);
  });

  it('hands out partition leases exclusively, and frees a dead holder’s after the TTL', async () => {
    const ttl = 1000;
    const a = b.broker.leases('g-leases', ttl);
    const c = (await b.second()).leases('g-leases', ttl);
    expect(await a.acquire(0, 'A')).toBe(true);
    expect(await c.acquire(0, 'B')).toBe(false);
    expect(await a.acquire(0, 'A'), 'renewal').toBe(true);
    expect(await c.acquire(1, 'B')).toBe(true);
    expect(await a.owners(3)).toEqual(['A', 'B', null]);
    await c.release(0, 'B');
    expect((await a.owners(1))[0], 'only the holder releases').toBe('A');
    await a.release(0, 'A');
    expect(await c.acquire(0, 'B')).toBe(true);
    expect(await a.heartbeat('A')).toEqual(['A']);
    expect(await c.heartbeat('B')).toEqual(['A', 'B']);
    await c.leave('B');
    expect(await a.heartbeat('A')).toEqual(['A']);
    // B stops renewing (it died): its partitions and membership expire on the broker's clock.
    await eventually(
      async () => [await a.acquire(1, 'A'), await a.acquire(0, 'A')],
      (r) => r[0] === true && r[1] === true,
      "B's leases to expire",
    );
    expect(await c.owners(2)).toEqual(['A', 'A']);
    await Promise.all([a.close(), c.close()]);
  });
});
