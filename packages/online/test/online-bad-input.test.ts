import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FrecError } from '@frec/core';
import { openTestRepo, type TestRepo } from './helpers/test-repo.js';

async function codeOf(p: Promise<unknown>): Promise<FrecError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(FrecError);
    return err as FrecError;
  }
  throw new Error('expected an error');
}

describe('getOnlineFeatures and writeToOnlineStore reject bad input clearly', () => {
  let repo: TestRepo;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'frec-bad-'));
    repo = await openTestRepo({ type: 'sqlite', path: path.join(dir, 'online.db') }, { maxOnlineEntities: 5 });
    await repo.store.writeToOnlineStore('user_stats', [
      {
        user_id: 1,
        mean_rating: 1,
        n_ratings: 1,
        genres: [],
        embedding: [],
        active: true,
        last_seen: null,
        blob: null,
        event_timestamp: new Date(),
      },
    ]);
  });
  afterAll(async () => {
    await repo?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('unknown feature or view lists the closest names', async () => {
    const f = await codeOf(repo.store.getOnlineFeatures({ features: ['user_stats:mean_ratin'], entityRows: [{ user_id: 1 }] }));
    expect(f.code).toBe('UNKNOWN_FEATURE');
    expect(f.message).toContain("'mean_rating'");
    const v = await codeOf(repo.store.getOnlineFeatures({ features: ['user_stat:mean_rating'], entityRows: [{ user_id: 1 }] }));
    expect(v.code).toBe('UNKNOWN_FEATURE_VIEW');
    expect(v.message).toContain("'user_stats'");
    const s = await codeOf(repo.store.getOnlineFeatures({ featureService: 'ranker_v2', entityRows: [{ user_id: 1 }] }));
    expect(s.code).toBe('UNKNOWN_FEATURE_SERVICE');
    expect(s.message).toContain('ranker_v1');
  });

  test('an entity row without a join key is MISSING_JOIN_KEY naming the key, row and entity', async () => {
    const e = await codeOf(
      repo.store.getOnlineFeatures({ features: ['user_stats:mean_rating'], entityRows: [{ user_id: 1 }, { userid: 2 }] }),
    );
    expect(e.code).toBe('MISSING_JOIN_KEY');
    expect(e.where).toMatchObject({ row: 1, joinKey: 'user_id', entity: 'user' });
  });

  test('a join key of the wrong type is WRONG_TYPE naming the key and entity', async () => {
    const e = await codeOf(repo.store.getOnlineFeatures({ features: ['user_stats:mean_rating'], entityRows: [{ user_id: 'abc' }] }));
    expect(e.code).toBe('WRONG_TYPE');
    expect(e.message).toContain("'user_id'");
    expect(e.message).toContain("'user'");
    const f = await codeOf(repo.store.getOnlineFeatures({ features: ['user_stats:mean_rating'], entityRows: [{ user_id: 1.5 }] }));
    expect(f.code).toBe('WRONG_TYPE');
    const g = await codeOf(repo.store.getOnlineFeatures({ features: ['item_stats:title'], entityRows: [{ item_id: 7 }] }));
    expect(g.code).toBe('WRONG_TYPE');
  });

  test('a request over max_online_entities is REQUEST_TOO_LARGE', async () => {
    const rows = Array.from({ length: 6 }, (_, i) => ({ user_id: i }));
    const e = await codeOf(repo.store.getOnlineFeatures({ features: ['user_stats:mean_rating'], entityRows: rows }));
    expect(e.code).toBe('REQUEST_TOO_LARGE');
    expect(e.message).toContain('limit is 5');
  });

  test('missing request data for an on-demand view says which field', async () => {
    const e = await codeOf(repo.store.getOnlineFeatures({ features: ['boosted:boosted_rating'], entityRows: [{ user_id: 1 }] }));
    expect(e.code).toBe('INVALID_REQUEST');
    expect(e.message).toContain("'boost'");
    const w = await codeOf(
      repo.store.getOnlineFeatures({ features: ['boosted:boosted_rating'], entityRows: [{ user_id: 1, boost: 'lots' }] }),
    );
    expect(w.code).toBe('WRONG_TYPE');
  });

  test('entities given as columns read the same as entity rows, request fields included, with no row objects built', async () => {
    const features = ['user_stats:mean_rating', 'user_stats:n_ratings', 'boosted:boosted_rating'];
    const byRows = await repo.store.getOnlineFeatures({
      features,
      entityRows: [
        { user_id: 1, boost: 2 },
        { user_id: 9, boost: 3 },
        { user_id: 1, boost: 4 },
      ],
    });
    const byColumns = await repo.store.getOnlineFeatures({ features, entities: { user_id: [1, 9, 1], boost: [2, 3, 4] } });
    expect(byColumns.toRows()).toEqual(byRows.toRows());
    expect(byColumns.statuses).toEqual(byRows.statuses);
    expect(byColumns.toRows()[0]).toMatchObject({ user_id: 1, mean_rating: 1, boosted_rating: expect.any(Number) });
  });

  test('columns of unequal length, a non-array column or both shapes at once are INVALID_ENTITY_ROWS', async () => {
    const uneven = await codeOf(
      repo.store.getOnlineFeatures({ features: ['user_stats:mean_rating'], entities: { user_id: [1, 2], boost: [1] } }),
    );
    expect(uneven.code).toBe('INVALID_ENTITY_ROWS');
    expect(uneven.message).toContain('entities.boost has 1 values but entities.user_id has 2');
    const scalar = await codeOf(
      repo.store.getOnlineFeatures({
        features: ['user_stats:mean_rating'],
        entities: { user_id: 1 } as unknown as Record<string, number[]>,
      }),
    );
    expect(scalar.code).toBe('INVALID_ENTITY_ROWS');
    const both = await codeOf(
      repo.store.getOnlineFeatures({
        features: ['user_stats:mean_rating'],
        entityRows: [{ user_id: 1 }],
        entities: { user_id: [1] },
      } as unknown as Parameters<typeof repo.store.getOnlineFeatures>[0]),
    );
    expect(both.code).toBe('INVALID_ENTITY_ROWS');
  });

  test('a bad row in writeToOnlineStore names its index and field, and nothing is written', async () => {
    const good = {
      user_id: 5,
      mean_rating: 5,
      n_ratings: 5,
      genres: [],
      embedding: [],
      active: true,
      last_seen: null,
      blob: null,
      event_timestamp: Date.now(),
    };
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ ...good, user_id: 6, n_ratings: 'many' }, 'WRONG_TYPE', 'n_ratings'],
      [{ ...good, user_id: undefined }, 'MISSING_JOIN_KEY', 'user_id'],
      [{ ...good, user_id: 6, event_timestamp: 'yesterday-ish' }, 'INVALID_REQUEST', 'event_timestamp'],
      [{ ...good, user_id: 6, embedding: [1, 'x'] }, 'WRONG_TYPE', 'embedding'],
    ];
    for (const [bad, code, field] of cases) {
      const e = await codeOf(repo.store.writeToOnlineStore('user_stats', [good, bad]));
      expect(e.code).toBe(code);
      expect(e.where).toMatchObject({ row: 1, field, featureView: 'user_stats' });
    }
    const res = await repo.store.getOnlineFeatures({ features: ['user_stats:mean_rating'], entityRows: [{ user_id: 5 }] });
    expect(res.statuses[1]).toEqual(['NOT_FOUND']);
  });
});
