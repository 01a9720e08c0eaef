import { randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStreamBroker, FeatureStore, parseRepoConfig, StreamWorker } from '@frec/core';
import { type StreamBroker } from '@frec/core/spi';
import { backfillStreamView } from '@frec/offline/stream-backfill';
import { loadMovieLens } from '../src/data/movielens-loader.js';
import { backfillStreamViews, backfillToParquet, streamViewOf } from '../src/features/stream-view-backfill.js';
import { csvFixture, tempFeatureRepo, type Fixture } from './fixtures.js';
import { deleteKeysWithPrefix } from '@frec/online/testing';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const FEATURES = ['last_10_items', 'session_length', 'session_duration'] as const;
const REFS = FEATURES.map((f) => `user_recent:${f}`);
const GAP_MS = 30 * 60_000;

type Event = { user: number; item: number; ms: number };

/**
 * The definition of user_recent evaluated from scratch on a user's events at or before `atMs`:
 * ties in time are ordered by item id (the loader's file order), newest first.
 */
function oracle(events: readonly Event[], user: number, atMs = Number.POSITIVE_INFINITY): Record<string, unknown> {
  const e = events.filter((x) => x.user === user && x.ms <= atMs).sort((a, b) => a.ms - b.ms || a.item - b.item);
  const n = e.length;
  if (n === 0) return { last_10_items: null, session_length: null, session_duration: null };
  let start = n - 1;
  while (start > 0 && e[start]!.ms - e[start - 1]!.ms <= GAP_MS) start--;
  return {
    last_10_items: e
      .slice(-10)
      .map((x) => x.item)
      .reverse(),
    session_length: n - start,
    session_duration: (e[n - 1]!.ms - e[start]!.ms) / 1000,
  };
}

function pick(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(FEATURES.map((f) => [f, row[f] ?? null]));
}

async function waitFor(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('user_recent as a stream feature view', () => {
  const id = randomUUID().slice(0, 8);
  const topic = `streamrec-test-${id}:interactions`;
  const prefix = `frec-test-${id}:`;
  let fx: Fixture;
  let repo: string;
  let events: Event[];
  let users: number[];
  let backfilledRows: number;

  beforeAll(async () => {
    fx = csvFixture(23, 6, 20);
    // Three ratings in one second, ten minutes after user 1's last one: the backfill must serve their combined state.
    const u1 = fx.ratings.filter((r) => r.user === 1);
    const tieTs = Math.max(...u1.map((r) => r.ts)) + 600;
    const fresh = [...Array(20).keys()]
      .map((i) => i + 1)
      .filter((i) => !u1.some((r) => r.item === i))
      .slice(0, 3);
    appendFileSync(path.join(fx.dir, 'ratings.csv'), `${fresh.map((i) => `1,${i},4.0,${tieTs}`).join('\n')}\n`);
    fx.ratings.push(...fresh.map((item) => ({ user: 1, item, rating: 4, ts: tieTs })));
    events = fx.ratings.map((r) => ({ user: r.user, item: r.item, ms: r.ts * 1000 }));
    users = [...new Set(events.map((e) => e.user))].sort((a, b) => a - b);

    repo = tempFeatureRepo();
    // The repo's own declaration, on a topic of this test's own.
    const defs = path.join(repo, 'features.ts');
    const text = readFileSync(defs, 'utf8');
    expect(text).toContain("topic: 'streamrec:interactions'");
    writeFileSync(defs, text.replace("topic: 'streamrec:interactions'", `topic: '${topic}'`));
    await loadMovieLens({ inputDir: fx.dir, outDir: path.join(repo, 'data') });
    backfilledRows = (await backfillStreamViews(repo)).user_recent;
  }, 60_000);

  afterAll(async () => {
    const r = new Redis(REDIS_URL);
    await r.unlink(topic, `${topic}:dead`);
    await deleteKeysWithPrefix(r, prefix);
    r.disconnect();
    for (const d of [fx?.dir, repo]) if (d) rmSync(d, { recursive: true, force: true });
  });

  it('backfills one row per user and second from the declaration, read point-in-time and materialized into SQLite', async () => {
    expect(backfilledRows).toBe(new Set(events.map((e) => `${e.user}/${e.ms}`)).size);
    expect(backfilledRows).toBeLessThan(events.length);
    const store = await FeatureStore.open({ repoPath: repo });
    try {
      await store.apply();
      expect((await store.getFeatureView('user_recent')).kind).toBe('stream');
      // As of every rating's own time (inclusive), the backfill equals the definition evaluated from scratch.
      const job = await store.getHistoricalFeatures({
        entities: events.map((e) => ({ user_id: e.user, event_timestamp: new Date(e.ms) })),
        features: REFS,
      });
      const rows = await job.toRows();
      expect(rows).toHaveLength(events.length);
      rows.forEach((r, i) =>
        expect(pick(r), `user ${events[i]!.user} at ${new Date(events[i]!.ms).toISOString()}`).toEqual(
          oracle(events, events[i]!.user, events[i]!.ms),
        ),
      );
      // Embedded defaults, no Redis: materialize copies each user's newest row into SQLite.
      await store.materialize(new Date(0), new Date(), { views: ['user_recent'] });
      const online = (await store.getOnlineFeatures({ features: REFS, entityRows: users.map((u) => ({ user_id: u })) })).toRows();
      users.forEach((u, i) => expect(pick(online[i]!), `user ${u}`).toEqual(oracle(events, u)));
    } finally {
      await store.close();
    }
  }, 60_000);

  it('serves the same values from the Redis stream worker as the backfill, before and after new events', async () => {
    const config = parseRepoConfig(
      `project: streamrec\nplugins: ['@frec/online', '@frec/offline', '@frec/streaming/redis-streams']\nregistry:\n  path: data/registry-stream.json\n  cache_ttl_seconds: 0\nonline_store:\n  type: redis\n  connection_string: ${REDIS_URL}\n  key_prefix: "${prefix}"\noffline_store:\n  type: duckdb\n`,
      { file: path.join(repo, 'feature_store.yaml'), repoPath: repo },
    );
    const store = await FeatureStore.open({ config });
    let broker: StreamBroker | undefined;
    let worker: StreamWorker | undefined;
    let running: Promise<void> | undefined;
    try {
      await store.apply();
      const view = await store.getFeatureView('user_recent');
      expect(view.source.type === 'stream' && view.source.topic).toBe(topic);
      broker = await createStreamBroker(store.config);
      worker = new StreamWorker(store, broker, [view], { blockMs: 50, consumer: 'streamrec-test' });
      running = worker.run();
      const w = worker;
      const publish = async (evts: readonly Event[]): Promise<void> => {
        const before = w.totals.messages;
        await broker!.publish(
          topic,
          evts.map((e) => ({ user_id: e.user, item_id: e.item, rating: 4, event_timestamp: new Date(e.ms) })),
        );
        await waitFor(() => w.totals.messages === before + evts.length, `${evts.length} events through the worker`);
      };
      const served = async (us: readonly number[]): Promise<Array<Record<string, unknown>>> =>
        (await store.getOnlineFeatures({ features: REFS, entityRows: us.map((u) => ({ user_id: u })) })).toRows().map(pick);
      const asOf = async (us: readonly number[], at: Date): Promise<Array<Record<string, unknown>>> =>
        (
          await (
            await store.getHistoricalFeatures({ entities: us.map((u) => ({ user_id: u, event_timestamp: at })), features: REFS })
          ).toRows()
        ).map(pick);
      const streamed = [1, 2];
      const end = new Date(Math.max(...events.map((e) => e.ms)) + 1000);

      // 1. The users' histories in arrival order: what the worker serves is the pipeline's backfilled row.
      // (Read before the worker appends its own rows: it writes one per event, and same-second rows tie in an as-of join.)
      const fromBackfill = await asOf(streamed, end);
      expect(fromBackfill).toEqual(streamed.map((u) => oracle(events, u)));
      await publish(events.filter((e) => streamed.includes(e.user)).sort((a, b) => a.ms - b.ms || a.item - b.item));
      expect(await served(streamed)).toEqual(fromBackfill);

      // 2. New interactions: user 1 stays in its session, user 2 starts a new one after two hours.
      const last = (u: number): number => Math.max(...events.filter((e) => e.user === u).map((e) => e.ms));
      const fresh: Event[] = [
        { user: 1, item: 101, ms: last(1) + 5 * 60_000 },
        { user: 2, item: 102, ms: last(2) + 2 * 3_600_000 },
        { user: 1, item: 103, ms: last(1) + 12 * 60_000 },
        { user: 2, item: 104, ms: last(2) + 2 * 3_600_000 + 90_000 },
      ];
      await publish(fresh);
      const all = [...events, ...fresh];
      const rows: Array<Record<string, unknown>> = [];
      const values = fresh.map((e) => `(${e.user}, ${e.item}, to_timestamp(${e.ms / 1000}))`).join(', ');
      await backfillStreamView(view, {
        events: {
          sql: `SELECT user_id, item_id, event_timestamp FROM read_parquet('${path.join(repo, 'data/interactions.parquet')}') UNION ALL SELECT * FROM (VALUES ${values}) v(user_id, item_id, event_timestamp)`,
        },
        write: async (batch) => void rows.push(...batch),
      });
      const newest = streamed.map((u) => pick(rows.filter((r) => r.user_id === u).at(-1)!));
      expect(newest).toEqual(streamed.map((u) => oracle(all, u)));
      expect(newest[0]).toMatchObject({ last_10_items: [103, 101, ...(oracle(events, 1).last_10_items as number[]).slice(0, 8)] });
      expect(newest[1]).toMatchObject({ session_length: 2, session_duration: 90 });
      expect(await served(streamed)).toEqual(newest);
      // The worker's offline appends sit next to the backfill file, and a point-in-time read sees them.
      expect(await asOf(streamed, new Date(Math.max(...fresh.map((e) => e.ms))))).toEqual(newest);
    } finally {
      worker?.stop();
      await running;
      await worker?.close();
      await broker?.close();
      await store.close();
    }
  }, 60_000);

  it('refuses a user_recent that is not a backfillable stream view, naming the view and the fix', async () => {
    await expect(streamViewOf(repo, 'user_recnt')).rejects.toMatchObject({
      code: 'UNKNOWN_FEATURE_VIEW',
      where: { featureView: 'user_recnt' },
    });
    const bad = tempFeatureRepo();
    try {
      const defs = path.join(bad, 'features.ts');
      const text = readFileSync(defs, 'utf8');
      // A single-file batch source: the stream worker could never append next to the backfill.
      writeFileSync(defs, text.replace("path: 'data/user_recent/**/*.parquet'", "path: 'data/user_recent.parquet'"));
      const view = await streamViewOf(bad, 'user_recent');
      await expect(backfillToParquet(bad, view, path.join(repo, 'data/interactions.parquet'))).rejects.toMatchObject({
        code: 'INVALID_DEFINITION',
        where: { featureView: 'user_recent', source: 'user_recent_source' },
        hint: expect.stringContaining('**/*.parquet'),
      });
      expect(existsSync(path.join(bad, 'data/user_recent.parquet'))).toBe(false);
      // A batch view: its rows would not come from the events.
      const batch = text.replace(
        /export const userRecent = streamFeatureView\(\{[\s\S]*?\n\}\);/,
        `export const userRecent = featureView({
  name: 'user_recent', entities: [user], source: fileSource({ name: 'user_recent_rows', path: 'data/user_recent.parquet', timestampField: 'event_timestamp' }),
  schema: [field('last_10_items', ArrayOf(Int64)), field('session_length', Int64), field('session_duration', Float64)],
});`,
      );
      expect(batch).not.toBe(text);
      writeFileSync(defs, batch);
      await expect(streamViewOf(bad, 'user_recent')).rejects.toMatchObject({
        code: 'INVALID_DEFINITION',
        message: expect.stringContaining('must be a stream feature view'),
      });
    } finally {
      rmSync(bad, { recursive: true, force: true });
    }
  }, 60_000);
});
