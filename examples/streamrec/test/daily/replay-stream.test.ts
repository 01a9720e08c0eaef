import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { FeatureStore } from '@frec/core';
import { writeDaySlice } from '../../src/daily/day-slice.js';
import { ReplayStream } from '../../src/daily/replay-stream.js';
import { cleanUpReplay, dailySource } from './daily-fixture.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const TEMPLATE = fileURLToPath(new URL('../../feature_repo', import.meta.url));
const root = mkdtempSync(path.join(tmpdir(), 'streamrec-replay-stream-'));
const runId = `frec-test-replay-${randomUUID().slice(0, 8)}`;

afterAll(() => cleanUpReplay(REDIS_URL, runId, root));

const ms = (l: string) => Number(l.slice(l.lastIndexOf(',') + 1)) * 1000;

describe("the replay's event path", () => {
  it('streams a day through the broker: the worker applies and the event log appends every event, and the day slice holds them', async () => {
    const source = dailySource(path.join(root, 'source'));
    // A bounded cut: every event of three users, in time order, split at a day boundary.
    const all = readFileSync(path.join(source, 'ratings.csv'), 'utf8').split('\n').slice(1).filter(Boolean);
    const users = new Set(['1', '2', '3']);
    const mine = all.filter((l) => users.has(l.split(',')[0]!)).sort((a, b) => ms(a) - ms(b));
    const cut = Date.parse(`${new Date(ms(mine[Math.floor(mine.length / 2)]!)).toISOString().slice(0, 10)}T00:00:00Z`) + 86_400_000;
    const first = mine.filter((l) => ms(l) < cut);
    const second = mine.filter((l) => ms(l) >= cut);
    expect(first.length).toBeGreaterThan(0);
    expect(second.length).toBeGreaterThan(0);

    const repo = path.join(root, 'repo');
    mkdirSync(path.join(repo, 'data'), { recursive: true });
    for (const f of ['features.ts', 'feature_store.yaml']) copyFileSync(path.join(TEMPLATE, f), path.join(repo, f));
    const live = path.join(root, 'live');
    mkdirSync(live, { recursive: true });
    const stream = await ReplayStream.open({ repoPath: repo, liveDir: live, redisUrl: REDIS_URL, runId }, source);
    try {
      expect(await stream.stream(first)).toEqual({ published: first.length, workerApplied: first.length, appended: first.length });
      // The daily job's slice of the day: exactly what the event log took, nothing from later.
      const slice = writeDaySlice(live, path.join(root, 'slice'), { startMs: cut - 86_400_000, endMs: cut });
      expect(slice.events).toBe(first.length);
      expect(slice.laterEvents).toBe(0);
      expect(slice.eventsOnDay).toBe(first.filter((l) => ms(l) >= cut - 86_400_000).length);
      expect(readFileSync(path.join(slice.dir, 'ratings.csv'), 'utf8').split('\n').slice(1).filter(Boolean).sort()).toEqual(
        [...first].sort(),
      );

      expect(await stream.stream(second)).toEqual({ published: second.length, workerApplied: second.length, appended: second.length });
      // The worker kept user_recent online in the repo's own SQLite store: each user's newest items, newest first.
      const store = await FeatureStore.open({ repoPath: repo });
      try {
        const rows = (
          await store.getOnlineFeatures({
            features: ['user_recent:last_10_items'],
            entityRows: [...users].map((u) => ({ user_id: Number(u) })),
          })
        ).toRows();
        [...users].forEach((u, i) => {
          const newest = mine.filter((l) => l.split(',')[0] === u).at(-1)!;
          expect((rows[i]!.last_10_items as number[])[0], `user ${u}`).toBe(Number(newest.split(',')[1]));
        });
      } finally {
        await store.close();
      }
      const log = readFileSync(path.join(live, 'ratings.csv'), 'utf8').split('\n').slice(1).filter(Boolean);
      expect(log).toEqual([...first, ...second]);
    } finally {
      await stream.close();
    }
    const r = new Redis(REDIS_URL);
    expect(await r.exists(`${runId}:interactions`)).toBe(0);
    r.disconnect();
  }, 120_000);
});
