import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, type MaterializeProgress } from '../src/index.js';
import { BASE, DAY, testRepo, type TestRepo } from './materialize-fixture.js';

describe('materialize', () => {
  let repo: TestRepo;
  beforeAll(async () => {
    repo = await testRepo();
  });
  afterAll(async () => {
    await repo?.dispose();
  });

  it('moves the latest row per entity in [start, end) online, with progress, and records the watermark', async () => {
    const progress: MaterializeProgress[] = [];
    // Versions are at BASE + v days: ending at BASE + 2 days keeps version 1, not 2.
    const res = await repo.store.materialize(new Date(BASE), new Date(BASE + 2 * DAY), {
      views: ['user_stats'],
      batchSize: 64,
      onProgress: (p) => progress.push(p),
    });
    expect(res.views).toHaveLength(1);
    expect(res.views[0]).toMatchObject({ view: 'user_stats', rows: 200, written: 200, skippedOlder: 0 });
    expect(progress[0]).toMatchObject({ view: 'user_stats', phase: 'start', rows: 0 });
    expect(progress.filter((p) => p.phase === 'batch').map((p) => p.rows)).toEqual([64, 128, 192, 200]);
    expect(progress.at(-1)).toMatchObject({ phase: 'done', rows: 200 });

    const r = await repo.store.getOnlineFeatures({
      features: ['user_stats:f0', 'user_stats:n', 'user_stats:tag', 'user_stats:emb'],
      entityRows: [{ user_id: 3 }, { user_id: 999 }],
    });
    expect(r.toRows()).toEqual([
      { user_id: 3, f0: ((3 * 31 + 7) % 1000) / 10, n: 31, tag: 'tag3', emb: [3, 1] },
      { user_id: 999, f0: null, n: null, tag: null, emb: null },
    ]);
    const st = await repo.store.registry.materializationState('user_stats');
    expect(st.watermark).toBe(new Date(BASE + 2 * DAY).toISOString());
    expect(st.intervals).toEqual([[new Date(BASE).toISOString(), new Date(BASE + 2 * DAY).toISOString()]]);
  });

  it('never replaces a newer online value with an older one', async () => {
    const online = await repo.store.onlineStore();
    const view = await repo.store.getFeatureView('user_stats');
    await online.write('mattest', view, [
      { key: [5], values: { f0: -1, f1: -1, n: -1, tag: 'newer', emb: [9, 9] }, eventTimeMs: BASE + 30 * DAY },
    ]);
    const res = await repo.store.materialize(new Date(BASE), new Date(BASE + 10 * DAY), { views: ['user_stats'] });
    expect(res.views[0]).toMatchObject({ rows: 200, skippedOlder: 1, written: 199 });
    const r = await repo.store.getOnlineFeatures({
      features: ['user_stats:tag', 'user_stats:n'],
      entityRows: [{ user_id: 5 }, { user_id: 6 }],
    });
    expect(r.toRows()).toEqual([
      { user_id: 5, tag: 'newer', n: -1 },
      { user_id: 6, tag: 'tag6', n: 62 },
    ]);
  });

  it('materialize-incremental moves only what is new since each watermark, over several views', async () => {
    const first = await repo.store.materializeIncremental(new Date(BASE + 10 * DAY));
    // user_stats is already at END; the others have no watermark and no ttl, so they start at the beginning of time.
    expect(first.views.map((v) => [v.view, v.start, v.rows])).toEqual([
      ['item_stats', new Date(0).toISOString(), 50],
      ['user_push_stats', new Date(0).toISOString(), 0],
    ]);
    await repo.writeUsers('part1', 20, 1, 12 * DAY);
    const second = await repo.store.materializeIncremental(new Date(BASE + 20 * DAY));
    expect(second.views.map((v) => [v.view, v.start, v.rows])).toEqual([
      ['item_stats', new Date(BASE + 10 * DAY).toISOString(), 0],
      ['user_push_stats', new Date(BASE + 10 * DAY).toISOString(), 0],
      ['user_stats', new Date(BASE + 10 * DAY).toISOString(), 20],
    ]);
    const r = await repo.store.getOnlineFeatures({ features: ['user_stats:n'], entityRows: [{ user_id: 7 }, { user_id: 150 }] });
    expect(r.toRows()).toEqual([
      { user_id: 7, n: 70 },
      { user_id: 150, n: 1502 },
    ]);
    expect((await repo.store.registry.materializationState('user_stats')).watermark).toBe(new Date(BASE + 20 * DAY).toISOString());
    const again = await repo.store.materializeIncremental(new Date(BASE + 20 * DAY));
    expect(again.views).toEqual([]);
  });

  it('rejects bad times and unknown views with clear errors, writing nothing', async () => {
    await expect(repo.store.materialize(new Date(BASE + DAY), new Date(BASE))).rejects.toMatchObject({
      code: ErrorCode.INVALID_REQUEST,
      message: expect.stringContaining('is not before end'),
    });
    await expect(repo.store.materialize(new Date('nope'), new Date(BASE))).rejects.toMatchObject({ code: ErrorCode.INVALID_REQUEST });
    await expect(repo.store.materialize(new Date(BASE), new Date(BASE + DAY), { views: ['user_stat'] })).rejects.toMatchObject({
      code: ErrorCode.UNKNOWN_FEATURE_VIEW,
      message: expect.stringContaining("Did you mean 'user_stats'"),
    });
  });
});
