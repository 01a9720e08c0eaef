import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Redis } from 'ioredis';
import { StoreError } from '@frec/core';
import { startRedisCluster, type RedisClusterFixture } from './helpers/redis-servers.js';
import { openTestRepo, type TestRepo } from './helpers/test-repo.js';

describe('Redis Cluster (3 masters + 3 replicas) failover', () => {
  let cluster: RedisClusterFixture;
  let repo: TestRepo;
  beforeAll(async () => {
    cluster = await startRedisCluster(1000);
    repo = await openTestRepo({
      type: 'redis',
      connection_string: cluster.connection,
      cluster: true,
      key_prefix: `frec-test-${randomUUID()}:`,
      connect_timeout_ms: 1000,
      command_timeout_ms: 1000,
    });
  });
  afterAll(async () => {
    await repo?.close();
    await cluster?.stop();
  });

  test('reads succeed again after a master dies and its replica takes over', async () => {
    const now = Date.now();
    const items = Array.from({ length: 200 }, (_, i) => ({ item_id: `it-${i}`, popularity: i, title: `t${i}`, event_timestamp: now }));
    await repo.store.writeToOnlineStore('item_stats', items);
    const request = { features: ['item_stats:popularity'], entityRows: items.map((i) => ({ item_id: i.item_id })) };
    expect((await repo.store.getOnlineFeatures(request)).values[1]).toEqual(items.map((i) => i.popularity));

    const masters = await cluster.masters();
    expect(masters).toHaveLength(3);
    const victim = masters[0]!;
    // Replication is asynchronous: rows written just before the kill may not have reached the
    // replica yet, and Redis loses them on failover. Wait until the replica has caught up.
    await waitForReplica(victim);
    const killedAt = performance.now();
    await cluster.procs.get(victim)!.kill('SIGKILL');

    let failures = 0;
    let recoveredMs = -1;
    while (performance.now() - killedAt < 20_000) {
      try {
        const res = await repo.store.getOnlineFeatures(request);
        expect(res.values[1]).toEqual(items.map((i) => i.popularity));
        recoveredMs = performance.now() - killedAt;
        break;
      } catch (err) {
        expect(err).toBeInstanceOf(StoreError);
        failures++;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    console.log(
      `cluster failover: reads recovered ${recoveredMs.toFixed(0)} ms after killing master :${victim} (${failures} failed reads meanwhile)`,
    );
    expect(recoveredMs).toBeGreaterThan(0);
    expect(await cluster.masters()).not.toContain(victim);
    // Writes go to the promoted replica too.
    const later = await repo.store.writeToOnlineStore(
      'item_stats',
      items.map((i) => ({ ...i, popularity: i.popularity + 1, event_timestamp: now + 1 })),
    );
    expect(later.written).toBe(200);
    expect((await repo.store.getOnlineFeatures(request)).values[1]).toEqual(items.map((i) => i.popularity + 1));
  });
});

/** Waits until the master on `port` reports a replica at its own replication offset. */
async function waitForReplica(port: number | string): Promise<void> {
  const r = new Redis({ port: Number(port), host: '127.0.0.1', lazyConnect: true });
  await r.connect();
  try {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const info = await r.info('replication');
      const master = Number(/master_repl_offset:(\d+)/.exec(info)?.[1] ?? -1);
      const replica = Number(/slave0:.*offset=(\d+)/.exec(info)?.[1] ?? -2);
      if (replica >= master && master >= 0) return;
      if (Date.now() > deadline) throw new Error(`replica of :${port} did not catch up (${replica} < ${master})`);
      await new Promise((res) => setTimeout(res, 20));
    }
  } finally {
    r.disconnect();
  }
}
