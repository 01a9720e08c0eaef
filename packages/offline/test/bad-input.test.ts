import { describe, expect, it } from 'vitest';
import { tableFromArrays } from 'apache-arrow';
import { entity, featureView, field, fileSource, Float64, Int64, String as Str, FrecError } from '@frec/core';
import { registryOf, requestOf, tempRepo } from './helpers.js';

const user = entity({ name: 'user', joinKey: 'user_id', valueType: Int64 });
const src = fileSource({ name: 'stats_src', path: 'stats.parquet', timestampField: 'ts' });
const stats = featureView({
  name: 'stats',
  entities: [user],
  source: src,
  schema: [field('mean_rating', Float64), field('n_ratings', Int64)],
});
const data = registryOf([stats.spec]);
const ok = [{ user_id: 1, event_timestamp: new Date('2024-01-02T00:00:00Z') }];

async function repoWithStats() {
  const repo = await tempRepo();
  await repo.sql(
    `COPY (SELECT 1 AS user_id, TIMESTAMP '2024-01-01' AS ts, 4.5 AS mean_rating, 3 AS n_ratings) TO '${repo.dir}/stats.parquet' (FORMAT parquet)`,
  );
  return repo;
}

/** Awaits a rejection and returns the FrecError, so the test can check code and message. */
async function errorOf(p: Promise<unknown>): Promise<FrecError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(FrecError);
    return err as FrecError;
  }
  throw new Error('expected a rejection');
}

describe('getHistoricalFeatures: bad input', () => {
  it('missing timestamp column: names the column, the closest one, and how to fix it', async () => {
    await using repo = await repoWithStats();
    const err = await errorOf(
      repo.store.getHistoricalFeatures(requestOf(data, { features: ['stats:mean_rating'] }, [{ user_id: 1, event_timestmp: new Date() }])),
    );
    expect(err.code).toBe('INVALID_ENTITY_ROWS');
    expect(err.message).toContain("'event_timestamp'");
    const fromArrow = await errorOf(
      repo.store.getHistoricalFeatures(
        requestOf(data, { features: ['stats:mean_rating'] }, { arrow: tableFromArrays({ user_id: [1], ts: [new Date()] }) }),
      ),
    );
    expect(fromArrow.code).toBe('INVALID_ENTITY_ROWS');
    expect(fromArrow.message).toMatch(/no timestamp column 'event_timestamp'.*timestampColumn/s);
  });

  it('join key of the wrong type: names the key and both types', async () => {
    await using repo = await repoWithStats();
    const rowsErr = await errorOf(
      repo.store.getHistoricalFeatures(
        requestOf(data, { features: ['stats:mean_rating'] }, [{ user_id: 'abc', event_timestamp: new Date() }]),
      ),
    );
    expect(rowsErr.code).toBe('WRONG_TYPE');
    expect(rowsErr.message).toContain('\'user_id\' is "abc", not a int64');
    const arrowErr = await errorOf(
      repo.store.getHistoricalFeatures(
        requestOf(data, { features: ['stats:mean_rating'] }, { arrow: tableFromArrays({ user_id: ['1'], event_timestamp: [new Date()] }) }),
      ),
    );
    expect(arrowErr.code).toBe('WRONG_TYPE');
    expect(arrowErr.message).toContain("Join key 'user_id' of the entity rows is VARCHAR, but its entity declares int64");
  });

  it('missing join key: MISSING_JOIN_KEY naming the key', async () => {
    await using repo = await repoWithStats();
    const err = await errorOf(
      repo.store.getHistoricalFeatures(requestOf(data, { features: ['stats:mean_rating'] }, [{ userid: 1, event_timestamp: new Date() }])),
    );
    expect(err.code).toBe('MISSING_JOIN_KEY');
    expect(err.message).toContain("'user_id'");
  });

  it('unknown feature: the message lists the closest names', async () => {
    await using repo = await repoWithStats();
    const err = await errorOf((async () => repo.store.getHistoricalFeatures(requestOf(data, { features: ['stats:mean_ratin'] }, ok)))());
    expect(err.code).toBe('UNKNOWN_FEATURE');
    expect(err.message).toMatch(/mean_rating/);
  });

  it('missing source file: SOURCE_NOT_FOUND naming the path', async () => {
    await using repo = await tempRepo();
    const err = await errorOf(repo.store.getHistoricalFeatures(requestOf(data, { features: ['stats:mean_rating'] }, ok)));
    expect(err.code).toBe('SOURCE_NOT_FOUND');
    expect(err.message).toContain(`${repo.dir}/stats.parquet`);
    const entityErr = await errorOf(
      repo.store.getHistoricalFeatures(requestOf(data, { features: ['stats:mean_rating'] }, { parquet: 'nope/*.parquet' })),
    );
    expect(entityErr.code).toBe('SOURCE_NOT_FOUND');
    expect(entityErr.message).toContain(`${repo.dir}/nope/*.parquet`);
  });

  it('empty entity set: an empty result with the right columns and types', async () => {
    await using repo = await repoWithStats();
    const job = await repo.store.getHistoricalFeatures(requestOf(data, { features: ['stats:n_ratings', 'stats:mean_rating'] }, []));
    expect(await job.toRows()).toEqual([]);
    const table = await job.toArrow();
    expect(table.numRows).toBe(0);
    expect(table.schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual([
      'user_id:Int64',
      'event_timestamp:Timestamp<MILLISECOND, UTC>',
      'n_ratings:Int64',
      'mean_rating:Float64',
    ]);
    expect(job.metadata).toEqual({ features: ['n_ratings', 'mean_rating'], minEventTimestamp: null, maxEventTimestamp: null });
  });

  it('null entity timestamps and mixed-type columns are refused with the row and column', async () => {
    await using repo = await repoWithStats();
    const nullTs = await errorOf(
      repo.store.getHistoricalFeatures(requestOf(data, { features: ['stats:mean_rating'] }, [{ user_id: 1, event_timestamp: null }])),
    );
    expect(nullTs.code).toBe('WRONG_TYPE');
    expect(nullTs.message).toContain('Entity row 0');
    const mixed = await errorOf(
      repo.store.getHistoricalFeatures(
        requestOf(data, { features: ['stats:mean_rating'] }, [
          { ...ok[0], label: 1 },
          { ...ok[0], label: 'x' },
        ]),
      ),
    );
    expect(mixed.message).toContain("Entity column 'label' mixes number and string");
  });

  it('a source column with an incompatible type: SOURCE_SCHEMA_MISMATCH naming file, column, declared and actual type', async () => {
    await using repo = await tempRepo();
    await repo.sql(
      `COPY (SELECT 1 AS user_id, TIMESTAMP '2024-01-01' AS ts, 'high' AS mean_rating, 3 AS n_ratings) TO '${repo.dir}/stats.parquet' (FORMAT parquet)`,
    );
    const err = await errorOf(repo.store.getHistoricalFeatures(requestOf(data, { features: ['stats:mean_rating'] }, ok)));
    expect(err.code).toBe('SOURCE_SCHEMA_MISMATCH');
    expect(err.message).toContain(`'mean_rating' is VARCHAR in '${repo.dir}/stats.parquet'`);
    expect(err.message).toContain('declared as float64');
    const strKey = featureView({
      name: 'stats',
      entities: [entity({ name: 'u', joinKey: 'user_id', valueType: Str })],
      source: src,
      schema: [field('n_ratings', Int64)],
    });
    await expect(repo.store.validateSource(strKey.spec)).rejects.toMatchObject({
      code: 'SOURCE_SCHEMA_MISMATCH',
      message: expect.stringContaining("'user_id' is INTEGER"),
    });
  });
});
