import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FrecError, buildRepoContents, type FeatureViewSpec } from '@frec/core';
import { readRows } from '@frec/core/spi';
import { STORES, startStore, type StoreFixture } from './helpers/store-kinds.js';
import { openTestRepo, testDefinitions, type TestRepo } from './helpers/test-repo.js';

const HOUR = 3_600_000;

function userRow(id: number, eventMs: number, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    user_id: id,
    mean_rating: id + 0.25,
    n_ratings: id * 10,
    genres: ['drama', `g${id}`],
    embedding: [0.5, -1.25, id],
    active: id % 2 === 0,
    last_seen: new Date(1_700_000_000_000 + id),
    blob: new Uint8Array([id & 255, 7]),
    event_timestamp: eventMs,
    created: eventMs,
    ...over,
  };
}

for (const kind of STORES) {
  describe(`online store conformance: ${kind}`, () => {
    let fx: StoreFixture;
    let repo: TestRepo;
    const project = 'online_test';

    beforeAll(async () => {
      fx = await startStore(kind);
      repo = await openTestRepo(fx.config, { project });
    });
    afterAll(async () => {
      await repo?.store.teardown().catch(() => undefined);
      await repo?.close();
      await fx?.stop();
    });

    test('round-trips every value type with statuses, event times and request order', async () => {
      const now = Date.now();
      const w = await repo.store.writeToOnlineStore('user_stats', [
        userRow(1, now - HOUR),
        userRow(2, now - 2 * HOUR, { blob: null, genres: ['x', null] }),
      ]);
      expect(w).toEqual({ written: 2, skippedOlder: 0 });
      const res = await repo.store.getOnlineFeatures({
        features: [
          'user_stats:embedding',
          'user_stats:mean_rating',
          'user_stats:genres',
          'user_stats:active',
          'user_stats:last_seen',
          'user_stats:blob',
          'user_stats:n_ratings',
        ],
        entityRows: [{ user_id: 1 }, { user_id: 999 }, { user_id: '2' }],
      });
      expect(res.featureNames).toEqual(['user_id', 'embedding', 'mean_rating', 'genres', 'active', 'last_seen', 'blob', 'n_ratings']);
      const rows = res.toRows();
      expect(rows[0]).toEqual({
        user_id: 1,
        embedding: [0.5, -1.25, 1],
        mean_rating: 1.25,
        genres: ['drama', 'g1'],
        active: false,
        last_seen: new Date(1_700_000_000_001),
        blob: new Uint8Array([1, 7]),
        n_ratings: 10,
      });
      expect(rows[1]!.mean_rating).toBeNull();
      expect(rows[2]!.user_id).toBe(2);
      expect(rows[2]!.genres).toEqual(['x', null]);
      expect(res.statuses[2]).toEqual(['PRESENT', 'NOT_FOUND', 'PRESENT']);
      expect(res.statuses[6]).toEqual(['PRESENT', 'NOT_FOUND', 'NULL_VALUE']);
      expect(Array.from(res.eventTimestamps[2]!)).toEqual([now - HOUR, 0, now - 2 * HOUR]);
      expect(res.toColumns().mean_rating).toEqual([1.25, null, 2.25]);
      const full = await repo.store.getOnlineFeatures({
        features: ['user_stats:mean_rating'],
        entityRows: [{ user_id: 1 }],
        fullFeatureNames: true,
      });
      expect(full.featureNames).toEqual(['user_id', 'user_stats__mean_rating']);
      const body = full.toJSON();
      expect(body.results[1]).toMatchObject({ values: [1.25], statuses: ['PRESENT'] });
    });

    test('an older event time never overwrites a newer row; a later created time wins a tie', async () => {
      const t = Date.now() - HOUR;
      await repo.store.writeToOnlineStore('user_stats', [userRow(10, t, { mean_rating: 5 })]);
      const older = await repo.store.writeToOnlineStore('user_stats', [
        userRow(10, t - 1000, { mean_rating: 1 }),
        userRow(11, t, { mean_rating: 3 }),
      ]);
      expect(older).toEqual({ written: 1, skippedOlder: 1 });
      const tie = await repo.store.writeToOnlineStore('user_stats', [userRow(10, t, { mean_rating: 6, created: t + 5 })]);
      expect(tie.written).toBe(1);
      const staleTie = await repo.store.writeToOnlineStore('user_stats', [userRow(10, t, { mean_rating: 7, created: t + 1 })]);
      expect(staleTie.skippedOlder).toBe(1);
      const res = await repo.store.getOnlineFeatures({
        features: ['user_stats:mean_rating'],
        entityRows: [{ user_id: 10 }, { user_id: 11 }],
      });
      expect(res.values[1]).toEqual([6, 3]);
    });

    test('concurrent writers of one key leave the newest event time', async () => {
      const base = Date.now() - HOUR;
      const writes = Array.from({ length: 20 }, (_, i) =>
        repo.store.writeToOnlineStore('user_stats', [userRow(20, base + ((i * 7) % 20) * 1000, { mean_rating: (i * 7) % 20 })]),
      );
      await Promise.all(writes);
      const res = await repo.store.getOnlineFeatures({ features: ['user_stats:mean_rating'], entityRows: [{ user_id: 20 }] });
      expect(res.values[1]).toEqual([19]);
    });

    test('values older than the TTL are OUTSIDE_MAX_AGE; TTL views get a store expiry', async () => {
      const now = Date.now();
      await repo.store.writeToOnlineStore('user_stats', [userRow(30, now - 25 * HOUR), userRow(31, now - HOUR)]);
      const res = await repo.store.getOnlineFeatures({
        features: ['user_stats:mean_rating'],
        entityRows: [{ user_id: 30 }, { user_id: 31 }],
      });
      expect(res.statuses[1]).toEqual(['OUTSIDE_MAX_AGE', 'PRESENT']);
      expect(res.values[1]).toEqual([null, 31.25]);
      const ttl = await fx.pttl(project, 'user_stats', '31');
      if (kind === 'sqlite') expect(ttl).toBe(-1);
      else expect(ttl).toBeGreaterThan(22 * HOUR);
      await repo.store.writeToOnlineStore('item_stats', [{ item_id: 'no-ttl', popularity: 1, title: 't', event_timestamp: now }]);
      expect(await fx.pttl(project, 'item_stats', 'no-ttl')).toBe(-1);
    });

    test('duplicate keys are read once; composite keys; many keys across slots', async () => {
      const now = Date.now();
      const items = Array.from({ length: 300 }, (_, i) => ({
        item_id: `item-${i}`,
        popularity: i / 2,
        title: `Title ${i}`,
        event_timestamp: now,
      }));
      expect((await repo.store.writeToOnlineStore('item_stats', items)).written).toBe(300);
      await repo.store.writeToOnlineStore('user_item', [
        { user_id: 1, item_id: 'item-1', affinity: 0.9, event_timestamp: now },
        { user_id: 2, item_id: 'item-1', affinity: 0.1, event_timestamp: now },
      ]);
      const entityRows = [
        ...items.map((it) => ({ user_id: 1, item_id: it.item_id })),
        { user_id: 2, item_id: 'item-1' },
        { user_id: 1, item_id: 'item-1' },
      ];
      const res = await repo.store.getOnlineFeatures({
        features: ['item_stats:popularity', 'user_item:affinity', 'item_stats:title'],
        entityRows,
      });
      expect(res.featureNames).toEqual(['item_id', 'user_id', 'popularity', 'affinity', 'title']);
      expect(res.values[2]!.slice(0, 300)).toEqual(items.map((i) => i.popularity));
      expect(res.values[4]![299]).toBe('Title 299');
      expect(res.values[3]!.slice(0, 3)).toEqual([null, 0.9, null]);
      expect(res.values[3]!.slice(300)).toEqual([0.1, 0.9]);
      expect(res.statuses[3]![0]).toBe('NOT_FOUND');
    });

    test('non-ASCII keys, repeated requests and duplicates in any position read the right rows', async () => {
      // Redis requests are framed from cached key bytes and keys are interned across requests:
      // multi-byte keys and a changing mix of repeated keys must still map row to value.
      const now = Date.now();
      const ids = Array.from({ length: 40 }, (_, i) => `ïtem-✓-日本-${i}`);
      await repo.store.writeToOnlineStore(
        'item_stats',
        ids.map((item_id, i) => ({ item_id, popularity: i * 3, title: item_id, event_timestamp: now })),
      );
      for (const order of [
        [0, 1, 2, 39],
        [39, 39, 5, 0, 5, 'missing-é'],
        [7, 3, 7, 3, 7],
      ] as Array<Array<number | string>>) {
        const keys = order.map((o) => (typeof o === 'number' ? ids[o]! : o));
        const res = await repo.store.getOnlineFeatures({
          features: ['item_stats:popularity', 'item_stats:title'],
          entityRows: keys.map((item_id) => ({ item_id })),
        });
        expect(res.values[1]).toEqual(order.map((o) => (typeof o === 'number' ? o * 3 : null)));
        expect(res.values[2]).toEqual(order.map((o) => (typeof o === 'number' ? ids[o] : null)));
        expect(res.statuses[1]).toEqual(order.map((o) => (typeof o === 'number' ? 'PRESENT' : 'NOT_FOUND')));
      }
    });

    test('on-demand views use request data from entity rows or requestData; feature services resolve', async () => {
      const now = Date.now();
      await repo.store.writeToOnlineStore('user_stats', [userRow(40, now), userRow(41, now)]);
      await repo.store.writeToOnlineStore('item_stats', [{ item_id: 'a', popularity: 2, title: 'A', event_timestamp: now }]);
      const odfv = await repo.store.getOnlineFeatures({
        features: ['boosted:boosted_rating', 'user_stats:n_ratings'],
        entityRows: [{ user_id: 40, boost: 1 }, { user_id: 41 }, { user_id: 42 }],
        requestData: { boost: 10 },
      });
      expect(odfv.featureNames).toEqual(['user_id', 'boosted_rating', 'n_ratings']);
      expect(odfv.values[1]).toEqual([41.25, 51.25, null]);
      expect(odfv.statuses[1]).toEqual(['PRESENT', 'PRESENT', 'NULL_VALUE']);
      const perRow = await repo.store.getOnlineFeatures({
        features: ['boosted:boosted_rating'],
        entityRows: [{ user_id: 40 }, { user_id: 41 }],
        requestData: { boost: [1, 2] },
      });
      expect(perRow.values[1]).toEqual([41.25, 43.25]);
      const svc = await repo.store.getOnlineFeatures({ featureService: 'ranker_v1', entityRows: [{ user_id: 40, item_id: 'a' }] });
      expect(svc.featureNames).toEqual(['user_id', 'item_id', 'mean_rating', 'popularity', 'title']);
      expect(svc.toRows()[0]).toEqual({ user_id: 40, item_id: 'a', mean_rating: 40.25, popularity: 2, title: 'A' });
    });

    test('adding a feature keeps rows written before readable', async () => {
      const now = Date.now();
      await repo.store.writeToOnlineStore('user_stats', [userRow(50, now)]);
      const evolved = await repo.reopen({ extraFeature: true });
      await evolved.writeToOnlineStore('user_stats', [userRow(51, now, { country: 'NL' })]);
      const res = await evolved.getOnlineFeatures({
        features: ['user_stats:country', 'user_stats:mean_rating', 'user_stats:genres'],
        entityRows: [{ user_id: 50 }, { user_id: 51 }],
      });
      expect(res.values[1]).toEqual([null, 'NL']);
      expect(res.statuses[1]).toEqual(['NULL_VALUE', 'PRESENT']);
      expect(res.values[2]).toEqual([50.25, 51.25]);
      expect(res.values[3]).toEqual([
        ['drama', 'g50'],
        ['drama', 'g51'],
      ]);
      // A process that never saw the old schema (a fresh store client) still reads the old row.
      const fresh = await repo.reopen({ extraFeature: true });
      const again = await fresh.getOnlineFeatures({ features: ['user_stats:mean_rating'], entityRows: [{ user_id: 50 }] });
      expect(again.values[1]).toEqual([50.25]);
      await repo.store.apply(undefined, { validateSources: false });
    });

    test('a corrupt stored row is an error for that entity only', async () => {
      const now = Date.now();
      await repo.store.writeToOnlineStore('user_stats', [userRow(60, now), userRow(61, now)]);
      await fx.corrupt(
        project,
        'user_stats',
        '60',
        Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22]),
      );
      const res = await repo.store.getOnlineFeatures({
        features: ['user_stats:mean_rating'],
        entityRows: [{ user_id: 60 }, { user_id: 61 }],
      });
      expect(res.values[1]).toEqual([null, 61.25]);
      expect(res.statuses[1]).toEqual(['NOT_FOUND', 'PRESENT']);
      expect(res.errors).toHaveLength(1);
      expect(res.errors[0]).toMatchObject({ row: 0, featureView: 'user_stats' });
      expect(res.errors[0]!.error.code).toBe('CORRUPT_ROW');
      expect(res.errors[0]!.error.message).toContain("'60'");
      const online = await repo.store.onlineStore();
      const view = (await repo.store.getFeatureView('user_stats')) as FeatureViewSpec;
      const [bad, good] = await readRows(online, project, view, [[60], [61]]);
      expect(bad).toBeInstanceOf(FrecError);
      expect((good as { values: Record<string, unknown> }).values.mean_rating).toBe(61.25);
    });

    test('read() answers in key order, repeated keys included', async () => {
      const now = Date.now();
      await repo.store.writeToOnlineStore(
        'item_stats',
        ['k1', 'k2', 'k3'].map((item_id, i) => ({ item_id, popularity: i, title: item_id, event_timestamp: now })),
      );
      const online = await repo.store.onlineStore();
      const view = await repo.store.getFeatureView('item_stats');
      const keys = [['k3'], ['k1'], ['nope'], ['k3'], ['k2'], ['k1']];
      const res = await readRows(online, project, view, keys, ['title']);
      expect(res.map((r) => (r && !(r instanceof Error) ? r.values.title : r))).toEqual(['k3', 'k1', null, 'k3', 'k2', 'k1']);
    });

    test("reads of two views for one keys array (an aggregation view's base and recent rows) give each view its own rows", async () => {
      const now = Date.now();
      const online = await repo.store.onlineStore();
      const view = await repo.store.getFeatureView('item_stats');
      // Stored like recent rows: the same layout under the view's name plus '#recent' (teardown of the view removes them).
      const other = { ...view, name: `${view.name}#recent` };
      const rows = (tag: string, ids: string[]) =>
        ids.map((id, i) => ({ key: [id], values: { popularity: i, title: `${tag}-${id}` }, eventTimeMs: now - i }));
      await online.write(project, view, rows('base', ['p1', 'p2']));
      await online.write(project, other, rows('recent', ['p2', 'p3']));
      const titles = (r: { values: unknown[][] }) => r.values[0]!.map((v) => v ?? null);
      for (const keys of [[['p1'], ['p2'], ['p3'], ['p4']], [['p3']], [['p2'], ['p2']]]) {
        const reqs = [
          { view, keys, features: ['title'] },
          { view: await repo.store.getFeatureView('user_stats'), keys: [[1]], features: ['n_ratings'] },
          { view: other, keys, features: ['title'] },
        ];
        const want = (tag: string, present: string[]) => keys.map(([id]) => (present.includes(id as string) ? `${tag}-${id}` : null));
        for (const reads of [await online.readColumnsMany(project, reqs), await online.readColumnsManyNow?.(project, reqs)]) {
          if (!reads) continue;
          expect(titles(reads[0]!)).toEqual(want('base', ['p1', 'p2']));
          expect(titles(reads[2]!)).toEqual(want('recent', ['p2', 'p3']));
          expect(Array.from(reads[2]!.eventTimeMs, (t) => Number.isNaN(t))).toEqual(keys.map(([id]) => id !== 'p2' && id !== 'p3'));
          expect(reads[1]!.values[0]).toHaveLength(1);
        }
      }
    });

    test('stats count the rows of a view and find their newest event time', async () => {
      const online = await repo.store.onlineStore();
      const view = await repo.store.getFeatureView('user_item');
      expect(online.stats).toBeTypeOf('function');
      // Rows written by earlier tests go first: the counts below are this test's.
      await online.teardown({ project, views: [view] });
      expect(await online.stats!(project, view)).toEqual({ rows: 0, newestEventTimeMs: null });
      const t = Date.now() - HOUR;
      await repo.store.writeToOnlineStore(
        'user_item',
        [
          [80, 'a', t],
          [80, 'b', t + 1500],
          [81, 'a', t - 1000],
          // The same key again, older: still one row, and not the newest time.
          [81, 'a', t - 5000],
        ].map(([user_id, item_id, ts]) => ({ user_id, item_id, affinity: 1, event_timestamp: ts })),
      );
      expect(await online.stats!(project, view)).toEqual({ rows: 3, newestEventTimeMs: t + 1500 });
      await online.teardown({ project, views: [view] });
      expect(await online.stats!(project, view)).toEqual({ rows: 0, newestEventTimeMs: null });
    });

    test('applying without a view deletes its online rows', async () => {
      await repo.store.writeToOnlineStore('user_item', [{ user_id: 70, item_id: 'x', affinity: 1, event_timestamp: Date.now() }]);
      const online = await repo.store.onlineStore();
      const view = await repo.store.getFeatureView('user_item');
      expect(await readRows(online, project, view, [[70, 'x']])).not.toEqual([null]);
      const without = buildRepoContents(
        testDefinitions()
          .filter((d) => d.name !== 'user_item')
          .map((object) => ({ object })),
      );
      const res = await repo.store.apply(without, { validateSources: false });
      expect(res.plan.changes.some((c) => c.name === 'user_item' && c.type === 'remove')).toBe(true);
      expect(await readRows(online, project, view, [[70, 'x']])).toEqual([null]);
    });

    test('teardown removes the stored rows', async () => {
      const now = Date.now();
      await repo.store.writeToOnlineStore('item_stats', [{ item_id: 'gone', popularity: 1, title: 'g', event_timestamp: now }]);
      const online = await repo.store.onlineStore();
      const view = await repo.store.getFeatureView('item_stats');
      await online.teardown({ project, views: [view] });
      expect(await readRows(online, project, view, [['gone']])).toEqual([null]);
      await online.ping();
    });
  });
}
