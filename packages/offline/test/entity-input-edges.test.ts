import { describe, expect, it } from 'vitest';
import { tableFromArrays } from 'apache-arrow';
import { entity, featureView, field, fileSource, Float64, Int64, FrecError } from '@frec/core';
import { registryOf, requestOf, tempRepo } from './helpers.js';

/** Issue 23 item 7: entity inputs that used to break or silently mislead, each a coded error or a documented conversion (docs/values.md). */
const BIG = 9007199254740993n; // 2^53 + 1: no JS number holds it
const user = entity({ name: 'user', joinKey: 'user_id', valueType: Int64 });
const src = fileSource({ name: 'stats_src', path: 'stats.parquet', timestampField: 'ts' });
const stats = featureView({ name: 'stats', entities: [user], source: src, schema: [field('rating', Float64)] });
const data = registryOf([stats.spec]);
const AT = Date.UTC(2024, 0, 2);
const req = (entities: Parameters<typeof requestOf>[2]) => requestOf(data, { features: ['stats:rating'] }, entities);

async function repoWithStats() {
  const repo = await tempRepo();
  await repo.sql(
    `COPY (SELECT * FROM (VALUES (CAST(1 AS BIGINT), TIMESTAMP '2024-01-01', 4.5), (${BIG}::BIGINT, TIMESTAMP '2024-01-01', 2.5)) t(user_id, ts, rating))
     TO '${repo.dir}/stats.parquet' (FORMAT parquet)`,
  );
  return repo;
}

async function errorOf(p: Promise<unknown>): Promise<FrecError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(FrecError);
    return err as FrecError;
  }
  throw new Error('expected a rejection');
}

const ratings = async (repo: Awaited<ReturnType<typeof tempRepo>>, entities: Parameters<typeof requestOf>[2]) =>
  (await (await repo.store.getHistoricalFeatures(req(entities))).toRows()).map((r) => r.rating);

describe('entity inputs: numbers as times, string and big keys, null keys', () => {
  it('a number is epoch milliseconds; one that reads as epoch seconds is WRONG_TYPE instead of silently null features', async () => {
    await using repo = await repoWithStats();
    expect(await ratings(repo, [{ user_id: 1, event_timestamp: AT }])).toEqual([4.5]);
    const err = await errorOf(repo.store.getHistoricalFeatures(req([{ user_id: 1, event_timestamp: AT / 1000 }])));
    expect(err.code).toBe('WRONG_TYPE');
    expect(err.message).toContain('epoch seconds');
    expect(err.where).toMatchObject({ row: 0, column: 'event_timestamp' });
    const far = await errorOf(repo.store.getHistoricalFeatures(req([{ user_id: 1, event_timestamp: new Date(8.64e15) }])));
    expect(far.code).toBe('WRONG_TYPE');
  });

  it('a Parquet or Arrow BIGINT time column is read as epoch milliseconds (seconds refused)', async () => {
    await using repo = await repoWithStats();
    await repo.sql(
      `COPY (SELECT CAST(1 AS BIGINT) AS user_id, CAST(${AT} AS BIGINT) AS event_timestamp) TO '${repo.dir}/ms.parquet' (FORMAT parquet)`,
    );
    expect(await ratings(repo, { parquet: 'ms.parquet' })).toEqual([4.5]);
    expect(
      await ratings(repo, {
        arrow: tableFromArrays({ user_id: BigInt64Array.from([1n]), event_timestamp: BigInt64Array.from([BigInt(AT)]) }),
      }),
    ).toEqual([4.5]);
    await repo.sql(
      `COPY (SELECT CAST(1 AS BIGINT) AS user_id, CAST(${AT / 1000} AS BIGINT) AS event_timestamp) TO '${repo.dir}/s.parquet' (FORMAT parquet)`,
    );
    const err = await errorOf(repo.store.getHistoricalFeatures(req({ parquet: 's.parquet' })));
    expect(err.code).toBe('WRONG_TYPE');
    expect(err.message).toContain('epoch seconds');
  });

  it('an int64 key given as a decimal string is that integer (documented): "1" reads as 1', async () => {
    await using repo = await repoWithStats();
    expect(await ratings(repo, [{ user_id: '1', event_timestamp: new Date(AT) }])).toEqual([4.5]);
    const err = await errorOf(repo.store.getHistoricalFeatures(req([{ user_id: '1.5', event_timestamp: new Date(AT) }])));
    expect(err.code).toBe('WRONG_TYPE');
  });

  it('a null join key matches no feature row (Feast semantics): that view is null, views keyed on other entities still join', async () => {
    await using repo = await repoWithStats();
    const item = entity({ name: 'item', joinKey: 'item_id', valueType: Int64 });
    const itemSrc = fileSource({ name: 'item_src', path: 'items.parquet', timestampField: 'ts' });
    const items = featureView({ name: 'items', entities: [item], source: itemSrc, schema: [field('price', Float64)] });
    await repo.sql(
      `COPY (SELECT CAST(7 AS BIGINT) AS item_id, TIMESTAMP '2024-01-01' AS ts, 9.5 AS price) TO '${repo.dir}/items.parquet' (FORMAT parquet)`,
    );
    const both = requestOf(registryOf([stats.spec, items.spec]), { features: ['stats:rating', 'items:price'] }, [
      { user_id: null, item_id: 7, event_timestamp: new Date(AT) },
      { user_id: 1, item_id: 7, event_timestamp: new Date(AT) },
    ]);
    const rows = await (await repo.store.getHistoricalFeatures(both)).toRows();
    expect(rows.map((r) => [r.rating, r.price])).toEqual([
      [null, 9.5],
      [4.5, 9.5],
    ]);
  });

  it('an int64 key past 2^53 joins exactly, as a bigint, a decimal string, Arrow Int64 or Parquet BIGINT; a lossy number is refused', async () => {
    await using repo = await repoWithStats();
    expect(await ratings(repo, [{ user_id: BIG, event_timestamp: new Date(AT) }])).toEqual([2.5]);
    expect(await ratings(repo, [{ user_id: String(BIG), event_timestamp: new Date(AT) }])).toEqual([2.5]);
    const out = await (await repo.store.getHistoricalFeatures(req([{ user_id: BIG, event_timestamp: new Date(AT) }]))).toRows();
    expect(out[0]!.user_id).toBe(BIG);
    expect(
      await ratings(repo, {
        arrow: tableFromArrays({ user_id: BigInt64Array.from([BIG, 1n]), event_timestamp: [new Date(AT), new Date(AT)] }),
      }),
    ).toEqual([2.5, 4.5]);
    await repo.sql(
      `COPY (SELECT ${BIG}::BIGINT AS user_id, TIMESTAMP '2024-01-02' AS event_timestamp) TO '${repo.dir}/big.parquet' (FORMAT parquet)`,
    );
    expect(await ratings(repo, { parquet: 'big.parquet' })).toEqual([2.5]);
    const lossy = await errorOf(repo.store.getHistoricalFeatures(req([{ user_id: Number(BIG), event_timestamp: new Date(AT) }])));
    expect(lossy.code).toBe('WRONG_TYPE');
  });
});
