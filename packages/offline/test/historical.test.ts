import path from 'node:path';
import { mkdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { tableFromArrays, Table } from 'apache-arrow';
import {
  entity,
  featureView,
  field,
  fileSource,
  Float64,
  Int64,
  onDemandFeatureView,
  requestSource,
  Bool,
  String as Str,
  Float32,
  Array as ArrayOf,
} from '@frec/core';
import { registryOf, requestOf, tempRepo } from './helpers.js';

const user = entity({ name: 'user', joinKey: 'user_id', valueType: Int64 });
const t = (iso: string) => new Date(`${iso}Z`);

/** Two views over two files: user ratings (mapped column names, created time) and user profile (TIMESTAMPTZ). */
async function ratingsRepo() {
  const repo = await tempRepo();
  await repo.sql(`COPY (SELECT * FROM (VALUES
      (1, TIMESTAMP '2024-01-01 10:00:00', TIMESTAMP '2024-01-01 10:00:00', 3.0, [0.1, 0.2]),
      (1, TIMESTAMP '2024-01-02 10:00:00', TIMESTAMP '2024-01-02 10:00:00', 4.0, [0.3, 0.4]),
      (1, TIMESTAMP '2024-01-03 10:00:00', TIMESTAMP '2024-01-03 10:00:00', 5.0, NULL),
      (2, TIMESTAMP '2024-01-01 00:00:00', TIMESTAMP '2024-01-01 00:00:00', 1.5, [1.0, 1.0])
    ) v(uid, ts, created, avg_r, emb)) TO '${repo.dir}/ratings.parquet' (FORMAT parquet)`);
  await repo.sql(`COPY (SELECT * FROM (VALUES
      (1, TIMESTAMPTZ '2024-01-01 00:00:00+00', 'gold', 10, 0.5),
      (2, TIMESTAMPTZ '2024-01-01 00:00:00+00', 'silver', 20, 0.5)
    ) v(user_id, ts, tier, age, mean_rating)) TO '${repo.dir}/profile.parquet' (FORMAT parquet)`);
  const ratings = fileSource({
    name: 'ratings',
    path: 'ratings.parquet',
    timestampField: 'ts',
    createdTimestampColumn: 'created',
    fieldMapping: { uid: 'user_id', avg_r: 'mean_rating' },
  });
  const profileSrc = fileSource({ name: 'profile_src', path: 'profile.parquet', timestampField: 'ts' });
  const stats = featureView({
    name: 'user_stats',
    entities: [user],
    source: ratings,
    ttl: '2d',
    schema: [field('mean_rating', Float64), field('emb', ArrayOf(Float32))],
  });
  const profile = featureView({
    name: 'user_profile',
    entities: [user],
    source: profileSrc,
    schema: [field('tier', Str), field('age', Int64), field('mean_rating', Float64)],
  });
  return { repo, stats, profile };
}

const ENTITIES = [
  { user_id: 1, event_timestamp: t('2024-01-02T12:00:00'), label: 1 },
  { user_id: 2, event_timestamp: t('2024-01-02T12:00:00'), label: 0 },
  { user_id: 1, event_timestamp: t('2024-01-01T09:00:00'), label: 0 },
  { user_id: 1, event_timestamp: t('2024-01-02T12:00:00'), label: 1 },
  { user_id: 3, event_timestamp: t('2024-01-09T00:00:00'), label: 1 },
];

describe('getHistoricalFeatures', () => {
  it('never returns a value whose event time is after the entity row (leakage)', async () => {
    await using repo = await tempRepo();
    // The feature flips to 999 one millisecond after the entity time, and again much later.
    await repo.sql(`COPY (SELECT * FROM (VALUES
        (7, TIMESTAMP '2024-05-01 12:00:00', 1.0),
        (7, TIMESTAMP '2024-05-01 12:00:00.001', 999.0),
        (7, TIMESTAMP '2024-06-01 00:00:00', 999.0)
      ) v(user_id, ts, x)) TO '${repo.dir}/x.parquet' (FORMAT parquet)`);
    const fv = featureView({
      name: 'xv',
      entities: [user],
      source: fileSource({ name: 'xs', path: 'x.parquet', timestampField: 'ts' }),
      schema: [field('x', Float64)],
    });
    const rows = await (
      await repo.store.getHistoricalFeatures(
        requestOf(registryOf([fv.spec]), { features: ['xv:x'] }, [
          { user_id: 7, event_timestamp: t('2024-05-01T12:00:00') },
          { user_id: 7, event_timestamp: t('2024-05-01T11:59:59.999') },
          { user_id: 7, event_timestamp: t('2024-05-31T23:59:59.999') },
        ]),
      )
    ).toRows();
    expect(rows.map((r) => r.x)).toEqual([1, null, 999]);
  });

  it('keeps entity order, duplicates and extra columns, applies TTL, field mappings and the created-time tie-break', async () => {
    const { repo, stats, profile } = await ratingsRepo();
    await using _ = repo;
    const job = await repo.store.getHistoricalFeatures(
      requestOf(
        registryOf([stats.spec, profile.spec]),
        { features: ['user_stats:mean_rating', 'user_stats:emb', 'user_profile:tier'] },
        ENTITIES,
      ),
    );
    const rows = await job.toRows();
    expect(rows).toEqual([
      {
        user_id: 1,
        event_timestamp: t('2024-01-02T12:00:00'),
        label: 1,
        mean_rating: 4,
        emb: [expect.closeTo(0.3, 5), expect.closeTo(0.4, 5)],
        tier: 'gold',
      },
      { user_id: 2, event_timestamp: t('2024-01-02T12:00:00'), label: 0, mean_rating: 1.5, emb: [1, 1], tier: 'silver' },
      { user_id: 1, event_timestamp: t('2024-01-01T09:00:00'), label: 0, mean_rating: null, emb: null, tier: 'gold' },
      {
        user_id: 1,
        event_timestamp: t('2024-01-02T12:00:00'),
        label: 1,
        mean_rating: 4,
        emb: [expect.closeTo(0.3, 5), expect.closeTo(0.4, 5)],
        tier: 'gold',
      },
      // No row for user 3; user 1's 2024-01-03 row would be beyond nothing here, and TTL drops old rows.
      { user_id: 3, event_timestamp: t('2024-01-09T00:00:00'), label: 1, mean_rating: null, emb: null, tier: null },
    ]);
    expect(job.metadata).toEqual({
      features: ['mean_rating', 'emb', 'tier'],
      minEventTimestamp: t('2024-01-01T09:00:00'),
      maxEventTimestamp: t('2024-01-09T00:00:00'),
    });
    await job.close();
  });

  it('drops a value older than the TTL and keeps one exactly at the boundary', async () => {
    const { repo, stats } = await ratingsRepo();
    await using _ = repo;
    const rows = await (
      await repo.store.getHistoricalFeatures(
        requestOf(registryOf([stats.spec]), { features: ['user_stats:mean_rating'] }, [
          { user_id: 2, event_timestamp: t('2024-01-03T00:00:00') }, // exactly 2d after the row
          { user_id: 2, event_timestamp: t('2024-01-03T00:00:00.001') },
        ]),
      )
    ).toRows();
    expect(rows.map((r) => r.mean_rating)).toEqual([1.5, null]);
  });

  it('names clashing features view__feature with fullFeatureNames, and refuses the clash without it', async () => {
    const { repo, stats, profile } = await ratingsRepo();
    await using _ = repo;
    const data = registryOf([stats.spec, profile.spec]);
    const features = ['user_stats:mean_rating', 'user_profile:mean_rating'];
    await expect(repo.store.getHistoricalFeatures(requestOf(data, { features }, ENTITIES))).rejects.toMatchObject({
      code: 'FEATURE_NAME_COLLISION',
      message: expect.stringContaining('fullFeatureNames'),
    });
    const job = await repo.store.getHistoricalFeatures(requestOf(data, { features }, ENTITIES, { fullFeatureNames: true }));
    const table = await job.toArrow();
    expect(table.schema.fields.map((f) => f.name)).toEqual([
      'user_id',
      'event_timestamp',
      'label',
      'user_stats__mean_rating',
      'user_profile__mean_rating',
    ]);
  });

  it('gives the same result for entity rows as objects, Parquet (glob), SQL over a registered source and Arrow', async () => {
    const { repo, stats, profile } = await ratingsRepo();
    await using _ = repo;
    const data = registryOf([stats.spec, profile.spec]);
    const features = ['user_stats:mean_rating', 'user_profile:age'];
    const expected = await (await repo.store.getHistoricalFeatures(requestOf(data, { features }, ENTITIES))).toRows();

    mkdirSync(path.join(repo.dir, 'entities'));
    await repo.sql(
      `COPY (SELECT * FROM (VALUES ${ENTITIES.map((e) => `(${e.user_id}, TIMESTAMP '${e.event_timestamp.toISOString().slice(0, 19)}', ${e.label})`).join(', ')}) v(user_id, event_timestamp, label)) TO '${repo.dir}/entities/part-0.parquet' (FORMAT parquet)`,
    );
    const fromParquet = await (
      await repo.store.getHistoricalFeatures(requestOf(data, { features }, { parquet: 'entities/*.parquet' }))
    ).toRows();
    expect(fromParquet).toEqual(expected);

    // SQL over the registered source 'ratings' (raw column names); timezone-naive strings read as UTC.
    const sql = `SELECT uid AS user_id, CAST(ts AS VARCHAR) AS event_timestamp FROM ratings ORDER BY ts`;
    const fromSql = await (
      await repo.store.getHistoricalFeatures({
        ...requestOf(data, { features }, { sql }),
        sources: [stats.spec.source, profile.spec.source],
      })
    ).toRows();
    expect(fromSql.map((r) => [r.user_id, r.event_timestamp, r.mean_rating, r.age])).toEqual([
      [2, '2024-01-01 00:00:00', 1.5, 20],
      [1, '2024-01-01 10:00:00', 3, 10],
      [1, '2024-01-02 10:00:00', 4, 10],
      [1, '2024-01-03 10:00:00', 5, 10],
    ]);

    const arrowTable = tableFromArrays({
      user_id: BigInt64Array.from(ENTITIES.map((e) => BigInt(e.user_id))),
      event_timestamp: ENTITIES.map((e) => e.event_timestamp),
      label: Int32Array.from(ENTITIES.map((e) => e.label)),
    });
    const fromArrow = await (await repo.store.getHistoricalFeatures(requestOf(data, { features }, { arrow: arrowTable }))).toRows();
    expect(fromArrow).toEqual(expected);
  });

  it('computes on-demand views over the joined rows with the online transform, and writes them to Parquet', async () => {
    const { repo, stats } = await ratingsRepo();
    await using _ = repo;
    const ctx = requestSource({ name: 'ctx', schema: [field('threshold', Float64)] });
    const odfv = onDemandFeatureView({
      name: 'rating_flags',
      sources: [stats, ctx],
      schema: [field('above', Bool), field('scaled', Float64)],
      transform: (r) => ({
        above: r.mean_rating === null ? null : (r.mean_rating as number) > (r.threshold as number),
        scaled: r.mean_rating === null ? null : (r.mean_rating as number) * 2,
      }),
    });
    const entities = ENTITIES.map((e, i) => ({ ...e, threshold: i % 2 === 0 ? 3.5 : 1 }));
    const req = requestOf(
      registryOf([stats.spec], [odfv]),
      { features: ['rating_flags:scaled', 'user_stats:mean_rating', 'rating_flags:above'] },
      entities,
      { odfvs: [odfv] },
    );
    const job = await repo.store.getHistoricalFeatures(req);
    const rows = await job.toRows();
    expect(rows.map((r) => [r.scaled, r.mean_rating, r.above])).toEqual([
      [8, 4, true],
      [3, 1.5, true],
      [null, null, null],
      [8, 4, true],
      [null, null, null],
    ]);
    expect(Object.keys(rows[0]!)).toEqual(['user_id', 'event_timestamp', 'label', 'threshold', 'scaled', 'mean_rating', 'above']);
    const out = path.join(repo.dir, 'out', 'train.parquet');
    await job.toParquet(out);
    const missing = requestOf(registryOf([stats.spec], [odfv]), { features: ['rating_flags:scaled'] }, ENTITIES, { odfvs: [odfv] });
    await expect(repo.store.getHistoricalFeatures(missing)).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
      message: expect.stringContaining("needs request field 'threshold'"),
    });
    const back = await (
      await repo.store.getHistoricalFeatures(
        requestOf(registryOf([stats.spec]), { features: ['user_stats:mean_rating'] }, { parquet: out }, { fullFeatureNames: true }),
      )
    ).toRows();
    expect(back.map((r) => [r.scaled, r.above, r.user_stats__mean_rating])).toEqual(rows.map((r) => [r.scaled, r.above, r.mean_rating]));
  });

  it('streams bounded Arrow batches that add up to toArrow and to the Parquet output', async () => {
    const { repo, stats } = await ratingsRepo();
    await using _ = repo;
    repo.store.batchRows = 1000;
    await repo.sql(
      `COPY (SELECT (i % 3) + 1 AS user_id, TIMESTAMP '2024-01-01 00:00:00' + to_seconds(i * 37) AS event_timestamp, i AS label FROM range(4500) r(i)) TO '${repo.dir}/many.parquet' (FORMAT parquet)`,
    );
    const job = await repo.store.getHistoricalFeatures(
      requestOf(registryOf([stats.spec]), { features: ['user_stats:mean_rating'] }, { parquet: 'many.parquet' }),
    );
    const sizes: number[] = [];
    const labels: bigint[] = [];
    for await (const b of job.toArrowBatches()) {
      sizes.push(b.numRows);
      for (const v of b.getChild('label')!) labels.push(v as bigint);
    }
    expect(Math.max(...sizes)).toBeLessThanOrEqual(1000 + 2048);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(4500);
    expect(labels).toEqual(Array.from({ length: 4500 }, (_, i) => BigInt(i)));
    const whole: Table = await job.toArrow();
    expect(whole.numRows).toBe(4500);
    await job.toParquet(path.join(repo.dir, 'many-out.parquet'));
    const conn = await repo.store.connect();
    const r = await conn.runAndReadAll(
      `SELECT count(*)::INT AS n, count(mean_rating)::INT AS m, sum(label)::BIGINT AS s FROM '${repo.dir}/many-out.parquet'`,
    );
    conn.closeSync();
    expect(r.getRowObjectsJS()[0]).toEqual({
      n: 4500,
      m: [...whole.getChild('mean_rating')!].filter((x) => x !== null).length,
      s: BigInt((4499 * 4500) / 2),
    });
  });

  it('reads hive-partitioned folders through a glob', async () => {
    await using repo = await tempRepo();
    for (const d of ['2024-01-01', '2024-01-02']) {
      mkdirSync(path.join(repo.dir, 'events', `date=${d}`), { recursive: true });
      await repo.sql(
        `COPY (SELECT 5 AS user_id, TIMESTAMP '${d} 06:00:00' AS ts, ${d.endsWith('1') ? 1 : 2}.0 AS v) TO '${repo.dir}/events/date=${d}/part-0.parquet' (FORMAT parquet)`,
      );
    }
    const fv = featureView({
      name: 'ev',
      entities: [user],
      source: fileSource({ name: 'events', path: 'events/**/*.parquet', timestampField: 'ts' }),
      schema: [field('v', Float64)],
    });
    const rows = await (
      await repo.store.getHistoricalFeatures(
        requestOf(registryOf([fv.spec]), { features: ['ev:v'] }, [
          { user_id: 5, event_timestamp: t('2024-01-01T12:00:00') },
          { user_id: 5, event_timestamp: t('2024-01-02T12:00:00') },
        ]),
      )
    ).toRows();
    expect(rows.map((r) => r.v)).toEqual([1, 2]);
  });
});
