import { describe, expect, it } from 'vitest';
import { entity, featureView, field, fileSource, Float64, Int64 } from '@frec/core';
import { registryOf, requestOf, tempRepo } from './helpers.js';

const user = entity({ name: 'user', joinKey: 'user_id', valueType: Int64 });
const T = '2024-05-01 12:00:00';

/** A view over a Parquet file whose event times are TIMESTAMP_NS (as pandas writes them), rows in the given file order. */
async function nsView(repo: Awaited<ReturnType<typeof tempRepo>>, name: string, rows: Array<[string, number]>) {
  const values = rows.map(([ts, x]) => `(7, CAST('${ts}' AS TIMESTAMP_NS), ${x})`).join(', ');
  await repo.sql(`COPY (SELECT * FROM (VALUES ${values}) v(user_id, ts, x)) TO '${repo.dir}/${name}.parquet' (FORMAT parquet)`);
  return featureView({
    name,
    entities: [user],
    source: fileSource({ name: `${name}_src`, path: `${name}.parquet`, timestampField: 'ts' }),
    schema: [field('x', Float64)],
  });
}

// Issue 23 item 3: TIMESTAMP_NS was cast to microseconds, so a row 500 ns after the entity time tied
// with the row at the entity time and could win, depending on file order.
describe('point-in-time join over nanosecond timestamps', () => {
  it('never matches a row even 500 ns after the entity time, whatever the file order', async () => {
    await using repo = await tempRepo();
    const rows: Array<[string, number]> = [
      [`${T}`, 1],
      [`${T}.0000005`, 999],
    ];
    const views = [await nsView(repo, 'ns_fwd', rows), await nsView(repo, 'ns_rev', [...rows].reverse())];
    for (const v of views) {
      const out = await (
        await repo.store.getHistoricalFeatures(
          requestOf(registryOf([v.spec]), { features: [`${v.spec.name}:x`] }, [
            { user_id: 7, event_timestamp: new Date(`${T.replace(' ', 'T')}Z`) },
            { user_id: 7, event_timestamp: new Date(`${T.replace(' ', 'T')}.001Z`) },
          ]),
        )
      ).toRows();
      expect(
        out.map((r) => r.x),
        v.spec.name,
      ).toEqual([1, 999]);
    }
  });

  it('keeps a later row out even when its created time is newer, with either tie-break strategy', async () => {
    await using repo = await tempRepo();
    await repo.sql(`COPY (SELECT * FROM (VALUES
        (7, CAST('${T}' AS TIMESTAMP_NS), TIMESTAMP '2024-05-01 00:00:00', 1.0),
        (7, CAST('${T}.0000005' AS TIMESTAMP_NS), TIMESTAMP '2024-06-01 00:00:00', 999.0)
      ) v(user_id, ts, created, x)) TO '${repo.dir}/c.parquet' (FORMAT parquet)`);
    const v = featureView({
      name: 'ns_created',
      entities: [user],
      source: fileSource({ name: 'c_src', path: 'c.parquet', timestampField: 'ts', createdTimestampColumn: 'created' }),
      schema: [field('x', Float64)],
    });
    for (const strategy of ['asof-struct', 'dedupe'] as const) {
      repo.store.tieBreak = strategy;
      const out = await (
        await repo.store.getHistoricalFeatures(
          requestOf(registryOf([v.spec]), { features: ['ns_created:x'] }, [
            { user_id: 7, event_timestamp: new Date(`${T.replace(' ', 'T')}Z`) },
          ]),
        )
      ).toRows();
      expect(
        out.map((r) => r.x),
        strategy,
      ).toEqual([1]);
    }
  });

  it('compares nanosecond entity times with nanosecond rows exactly', async () => {
    await using repo = await tempRepo();
    const v = await nsView(repo, 'ns_rows', [
      [`${T}.000000500`, 999],
      [`${T}`, 1],
      [`${T}.000001200`, 5],
    ]);
    await repo.sql(`COPY (SELECT * FROM (VALUES
        (7, CAST('${T}.000000400' AS TIMESTAMP_NS), 0),
        (7, CAST('${T}.000000500' AS TIMESTAMP_NS), 1),
        (7, CAST('${T}.000001199' AS TIMESTAMP_NS), 2),
        (7, CAST('${T}.000001200' AS TIMESTAMP_NS), 3)
      ) v(user_id, event_timestamp, i)) TO '${repo.dir}/entities.parquet' (FORMAT parquet)`);
    const out = await (
      await repo.store.getHistoricalFeatures(requestOf(registryOf([v.spec]), { features: ['ns_rows:x'] }, { parquet: 'entities.parquet' }))
    ).toRows();
    expect(out.map((r) => [Number(r.i), r.x])).toEqual([
      [0, 1],
      [1, 999],
      [2, 999],
      [3, 5],
    ]);
  });
});
