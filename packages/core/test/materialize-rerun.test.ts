import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteKeysWithPrefix } from '@frec/online/testing';
import { BASE, DAY, REDIS_URL, testRepo, type TestRepo } from './materialize-fixture.js';

describe('materializing the same window twice', () => {
  let repo: TestRepo;
  let redis: Redis;
  beforeAll(async () => {
    repo = await testRepo();
    redis = new Redis(REDIS_URL);
  }, 240_000);
  afterAll(async () => {
    redis?.disconnect();
    await repo?.dispose();
  }, 240_000);

  const run = (startDays: number, endDays: number, force = false) =>
    repo.store.materialize(new Date(BASE + startDays * DAY), new Date(BASE + endDays * DAY), { views: ['user_stats'], force });
  const rowKeys = async () => [...(await repo.dumpOnline()).keys()].filter((k) => k.startsWith(`${repo.prefix}mattest:user_stats:`)).sort();

  it('writes nothing the second time and says why; a wider window, force, changed files or a wiped store write again', async () => {
    const first = await run(0, 10);
    expect(first.views[0]).toMatchObject({ rows: 200, written: 200 });
    expect(first.views[0]!.skipReason).toBeUndefined();
    const keys = await rowKeys();
    expect(keys).toHaveLength(200);

    // A row removed behind frec's back stays removed: the skipped runs wrote nothing at all.
    await redis.del(keys[0]!);
    const again = await run(0, 10);
    expect(again.views[0]).toMatchObject({ rows: 0, written: 0, skippedOlder: 0 });
    expect(again.views[0]!.skipReason).toMatch(
      /^already materialized: \[2026-01-01T00:00:00.000Z, 2026-01-11T00:00:00.000Z\) was written at .* pass force/,
    );
    const inside = await run(2, 5);
    expect(inside.views[0]).toMatchObject({ rows: 0, written: 0 });
    expect(await rowKeys()).toEqual(keys.slice(1));

    // A window reaching past the recorded one runs, and so does force.
    expect((await run(-1, 10)).views[0]).toMatchObject({ rows: 200, written: 200 });
    expect(await rowKeys()).toEqual(keys);
    const forced = await run(0, 10, true);
    expect(forced.views[0]).toMatchObject({ rows: 200 });
    expect(forced.views[0]!.skipReason).toBeUndefined();

    // A new source file (even one with no row in the window) changes the fingerprint.
    await repo.writeUsers('part1', 20, 1, 12 * DAY);
    expect((await run(0, 10)).views[0]).toMatchObject({ rows: 200 });
    expect((await run(0, 10)).views[0]).toMatchObject({ rows: 0 });

    // A wiped online store lost the mark with the rows: the same window is written again.
    await deleteKeysWithPrefix(redis, repo.prefix);
    const afterWipe = await run(0, 10);
    expect(afterWipe.views[0]).toMatchObject({ rows: 200, written: 200 });
    expect(await rowKeys()).toEqual(keys);
  }, 240_000);
});
