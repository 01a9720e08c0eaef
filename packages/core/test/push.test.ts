import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, RequestError } from '../src/index.js';
import { BASE, DAY, testRepo, type TestRepo } from './materialize-fixture.js';

const row = (user: number, over: Record<string, unknown> = {}) => ({
  user_id: user,
  clicks: user * 2,
  score: user / 4,
  genres: ['drama', `g${user}`],
  event_timestamp: new Date(BASE + user * 1000),
  ...over,
});

describe('push', () => {
  let repo: TestRepo;
  const pushedDir = () => path.join(repo.dir, 'data/pushed/user_push');
  const files = () =>
    existsSync(pushedDir())
      ? readdirSync(pushedDir(), { recursive: true })
          .map(String)
          .filter((f) => f.endsWith('.parquet'))
      : [];
  const online = async (users: number[]) =>
    (
      await repo.store.getOnlineFeatures({
        features: ['user_push_stats:clicks', 'user_push_stats:score', 'user_push_stats:genres'],
        entityRows: users.map((u) => ({ user_id: u })),
      })
    ).toRows();

  beforeAll(async () => {
    repo = await testRepo();
  });
  afterAll(async () => {
    await repo?.dispose();
  });

  it('pushes to the online store only by default', async () => {
    const res = await repo.store.push('user_push', [row(1), row(2)]);
    expect(res).toEqual({ rows: 2, offline: 0, online: { user_push_stats: { written: 2, skippedOlder: 0 } } });
    expect(await online([1, 2])).toEqual([
      { user_id: 1, clicks: 2, score: 0.25, genres: ['drama', 'g1'] },
      { user_id: 2, clicks: 4, score: 0.5, genres: ['drama', 'g2'] },
    ]);
    expect(files()).toEqual([]);
  });

  it('pushes online and offline; the offline rows are Parquet files partitioned by date that training reads at once', async () => {
    const rows = [
      row(10),
      row(11, { event_timestamp: new Date(BASE + DAY + 5).toISOString() }),
      row(12, { score: '0.75', event_timestamp: BASE + 2 * DAY }),
    ];
    const res = await repo.store.push('user_push', rows, { to: 'online_and_offline' });
    expect(res.offline).toBe(3);
    expect(
      files()
        .map((f) => path.dirname(f))
        .sort(),
    ).toEqual(['date=2026-01-01', 'date=2026-01-02', 'date=2026-01-03']);
    const hist = await repo.store.getHistoricalFeatures({
      entities: [
        { user_id: 10, event_timestamp: new Date(BASE + DAY) },
        { user_id: 12, event_timestamp: new Date(BASE + 3 * DAY) },
        { user_id: 12, event_timestamp: new Date(BASE) },
      ],
      features: ['user_push_stats:clicks', 'user_push_stats:score'],
    });
    const got = (await hist.toRows()).map((r) => [
      Number(r.user_id),
      (r.event_timestamp as Date).getTime(),
      r.clicks === null ? null : Number(r.clicks),
      r.score,
    ]);
    expect(got.sort((a, b) => (a[0] as number) - (b[0] as number) || (a[1] as number) - (b[1] as number))).toEqual([
      [10, BASE + DAY, 20, 2.5],
      [12, BASE, null, null],
      [12, BASE + 3 * DAY, 24, 0.75],
    ]);
    expect(await online([12])).toEqual([{ user_id: 12, clicks: 24, score: 0.75, genres: ['drama', 'g12'] }]);
  });

  it('pushes offline only, leaving the online store alone', async () => {
    const before = files().length;
    await repo.store.push('user_push', [row(20)], { to: 'offline' });
    expect(files().length).toBe(before + 1);
    expect(await online([20])).toEqual([{ user_id: 20, clicks: null, score: null, genres: null }]);
  });

  const badCases: Array<[string, Array<Record<string, unknown>>, number, string, RegExp]> = [
    ['a wrong type', [row(30), row(31, { score: 'high' })], 1, 'score', /expected float64, got "high"/],
    [
      'a missing feature',
      [row(30), row(31), { ...row(32), clicks: undefined }].map((r) =>
        Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)),
      ),
      2,
      'clicks',
      /feature of view 'user_push_stats' is missing/,
    ],
    ['a missing join key', [{ ...row(30), user_id: null }], 0, 'user_id', /join key of view 'user_push_stats' is missing or not int64/],
    [
      'a bad event time',
      [row(30), row(31, { event_timestamp: 'yesterday-ish' })],
      1,
      'event_timestamp',
      /event time is missing or not a time/,
    ],
    [
      'an unknown column',
      [row(30, { scroe: 1 })],
      0,
      'scroe',
      /is not a column of any view reading this source\. Nothing of this batch was written\. Did you mean 'score'\?/,
    ],
    ['an array element of the wrong type', [row(30, { genres: ['ok', 7] })], 0, 'genres', /expected string\[\], got an array/],
    ['a row that is not an object', [row(30), 42 as unknown as Record<string, unknown>], 1, '(row)', /expected an object, got number 42/],
  ];
  for (const [name, rows, index, fieldName, message] of badCases) {
    it(`rejects ${name} with its row index and field, writing nothing to either store`, async () => {
      const before = files().length;
      const err = await repo.store.push('user_push', rows, { to: 'online_and_offline' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RequestError);
      expect(err).toMatchObject({ code: ErrorCode.INVALID_PUSH_ROW, where: { source: 'user_push', row: index, field: fieldName } });
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message).toContain(`row ${index}, field '${fieldName}'`);
      expect(files().length).toBe(before);
      expect(await online([30, 31, 32])).toEqual([30, 31, 32].map((u) => ({ user_id: u, clicks: null, score: null, genres: null })));
    });
  }

  it('names unknown sources, sources that are not push sources and unknown targets', async () => {
    await expect(repo.store.push('user_psh', [row(40)])).rejects.toMatchObject({
      code: ErrorCode.UNKNOWN_SOURCE,
      message: expect.stringContaining("Did you mean 'user_push'"),
    });
    await expect(repo.store.push('user_stats_src', [row(40)])).rejects.toMatchObject({
      code: ErrorCode.INVALID_REQUEST,
      message: expect.stringContaining('only push sources accept pushes'),
    });
    await expect(repo.store.push('user_push', [row(40)], { to: 'both' as never })).rejects.toMatchObject({
      code: ErrorCode.INVALID_REQUEST,
    });
    expect(await online([40])).toEqual([{ user_id: 40, clicks: null, score: null, genres: null }]);
  });
});
