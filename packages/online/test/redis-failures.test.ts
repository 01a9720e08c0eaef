import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, test } from 'vitest';
import { StoreError, type StoreSection } from '@frec/core';
import { freePort, startRedis, startRedisOnPort, type StandaloneRedis } from './helpers/redis-servers.js';
import { openTestRepo } from './helpers/test-repo.js';

const CONNECT_MS = 300;
const COMMAND_MS = 200;
// Slack over the configured timeouts for a loaded machine: a missing timeout hangs far longer.
const SLACK_MS = 3000;

function redisAt(connection: string, cluster = false): StoreSection {
  return {
    type: 'redis',
    connection_string: connection,
    cluster,
    key_prefix: `frec-test-${randomUUID()}:`,
    connect_timeout_ms: CONNECT_MS,
    command_timeout_ms: COMMAND_MS,
  };
}

/** Runs a request and returns the StoreError it must fail with, and how long it took. */
async function failure(p: Promise<unknown>): Promise<{ err: StoreError; ms: number }> {
  const t0 = performance.now();
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(StoreError);
    return { err: err as StoreError, ms: performance.now() - t0 };
  }
  throw new Error('expected a StoreError');
}

const READ = { features: ['user_stats:mean_rating'], entityRows: [{ user_id: 1 }] };

describe('Redis failures surface as typed errors within the configured timeouts', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
  });

  test('nothing listening: ONLINE_STORE_UNAVAILABLE within connect_timeout_ms (standalone and cluster)', async () => {
    const port = await freePort();
    const repo = await openTestRepo({ type: 'sqlite', path: ':memory:' });
    cleanup.push(() => repo.close());
    for (const cluster of [false, true]) {
      const down = await repo.openWith(redisAt(`redis://127.0.0.1:${port}`, cluster));
      const first = await failure(down.getOnlineFeatures(READ));
      expect(first.err.code).toBe('ONLINE_STORE_UNAVAILABLE');
      expect(first.err.message).toContain(`127.0.0.1:${port}`);
      expect(first.ms).toBeLessThan(CONNECT_MS + COMMAND_MS + SLACK_MS);
      const second = await failure(
        down.writeToOnlineStore('user_stats', [
          {
            user_id: 1,
            mean_rating: 1,
            n_ratings: 1,
            genres: [],
            embedding: [],
            active: true,
            last_seen: null,
            blob: null,
            event_timestamp: Date.now(),
          },
        ]),
      );
      expect(second.err.code).toBe('ONLINE_STORE_UNAVAILABLE');
      expect(second.ms).toBeLessThan(CONNECT_MS + COMMAND_MS + SLACK_MS);
    }
  });

  test('a server that is paused times out; one that is killed is unavailable; a restart recovers', async () => {
    const server: StandaloneRedis = await startRedis();
    cleanup.push(() => server.stop());
    const repo = await openTestRepo(redisAt(server.url));
    cleanup.push(() => repo.close());
    await repo.store.writeToOnlineStore('user_stats', [
      {
        user_id: 1,
        mean_rating: 3,
        n_ratings: 1,
        genres: [],
        embedding: [],
        active: true,
        last_seen: null,
        blob: null,
        event_timestamp: Date.now(),
      },
    ]);
    expect((await repo.store.getOnlineFeatures(READ)).values[1]).toEqual([3]);

    server.proc.child.kill('SIGSTOP');
    const hung = await failure(repo.store.getOnlineFeatures(READ));
    server.proc.child.kill('SIGCONT');
    expect(hung.err.code).toBe('ONLINE_STORE_TIMEOUT');
    expect(hung.ms).toBeLessThan(COMMAND_MS + SLACK_MS);

    await server.proc.kill('SIGKILL');
    const dead = await failure(repo.store.getOnlineFeatures(READ));
    expect(dead.err.code).toBe('ONLINE_STORE_UNAVAILABLE');
    expect(dead.ms).toBeLessThan(CONNECT_MS + COMMAND_MS + SLACK_MS);

    // The same port again: the client reconnects by itself (the data is gone; the server kept none).
    const again = await startRedisOnPort(server.port);
    cleanup.push(() => again.stop());
    const t0 = Date.now();
    for (;;) {
      try {
        const res = await repo.store.getOnlineFeatures(READ);
        expect(res.statuses[1]).toEqual(['NOT_FOUND']);
        break;
      } catch (err) {
        expect(err).toBeInstanceOf(StoreError);
        if (Date.now() - t0 > 5000) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    // The restarted server has no script cache and no schema records: writes and reads still work.
    await repo.store.writeToOnlineStore('user_stats', [
      {
        user_id: 1,
        mean_rating: 4,
        n_ratings: 1,
        genres: [],
        embedding: [],
        active: true,
        last_seen: null,
        blob: null,
        event_timestamp: Date.now(),
      },
    ]);
    expect((await repo.store.getOnlineFeatures(READ)).values[1]).toEqual([4]);
  });
});
