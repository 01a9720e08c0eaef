import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  entity,
  featureView,
  field,
  fileSource,
  Float64,
  Int64,
  parseRepoConfig,
  pushSource,
  streamSource,
  String as Str,
} from '@frec/core';
import { createOfflineStore, type PulledBatch } from '@frec/core/spi';
import { mkdirSync } from 'node:fs';
import { DuckDBOfflineStore } from '../src/index.js';
import { keyPartsFor } from '../src/duckdb/duckdb-pull-latest.js';
import { inspectSource } from '../src/duckdb/duckdb-source-schema.js';
import { registryOf, requestOf, tempRepo } from './helpers.js';

const user = entity({ name: 'user', joinKey: 'user_id', valueType: Int64 });

function pushedView() {
  const batch = fileSource({
    name: 'events_batch',
    path: 'data/pushed/user_events/**/*.parquet',
    timestampField: 'ts',
    createdTimestampColumn: 'created',
  });
  const src = pushSource({ name: 'user_events', batchSource: batch });
  return featureView({ name: 'user_events', entities: [user], source: src, schema: [field('clicks', Int64), field('last_genre', Str)] });
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.relative(dir, path.join(d.parentPath, d.name)));
}

describe('appendRows (push to offline)', () => {
  it('a push source with no file yet validates, and its features read as nulls', async () => {
    await using repo = await tempRepo();
    const fv = pushedView();
    await repo.store.validateSource(fv.spec);
    const rows = await (
      await repo.store.getHistoricalFeatures(
        requestOf(registryOf([fv.spec]), { features: ['user_events:clicks'] }, [{ user_id: 1, event_timestamp: new Date() }]),
      )
    ).toRows();
    expect(rows[0]!.clicks).toBeNull();
  });

  it('writes date-partitioned Parquet files that the next retrieval reads, leaving no temporary file', async () => {
    await using repo = await tempRepo();
    const fv = pushedView();
    const source = fv.spec.source.type === 'push' ? fv.spec.source.batchSource : (undefined as never);
    await repo.store.appendRows(source, fv.spec, [
      { user_id: 1, ts: new Date('2024-03-01T10:00:00Z'), clicks: 3, last_genre: 'drama' },
      { user_id: 1, ts: new Date('2024-03-02T10:00:00Z'), clicks: 5, last_genre: null },
    ]);
    await repo.store.appendRows(source, fv.spec, [{ user_id: 2, ts: '2024-03-02T11:00:00Z', clicks: 1, last_genre: 'comedy' }]);
    const files = filesUnder(path.join(repo.dir, 'data/pushed/user_events')).sort();
    expect(files.map((f) => f.replace(/part-[0-9a-f-]+/, 'part-X'))).toEqual([
      'date=2024-03-01/part-X.parquet',
      'date=2024-03-02/part-X.parquet',
      'date=2024-03-02/part-X.parquet',
    ]);
    await repo.store.validateSource(fv.spec);
    const rows = await (
      await repo.store.getHistoricalFeatures(
        requestOf(registryOf([fv.spec]), { features: ['user_events:clicks', 'user_events:last_genre'] }, [
          { user_id: 1, event_timestamp: new Date('2024-03-01T12:00:00Z') },
          { user_id: 1, event_timestamp: new Date('2024-03-03T00:00:00Z') },
          { user_id: 2, event_timestamp: new Date('2024-03-03T00:00:00Z') },
        ]),
      )
    ).toRows();
    expect(rows.map((r) => [r.clicks, r.last_genre])).toEqual([
      [3, 'drama'],
      [5, null],
      [1, 'comedy'],
    ]);
  });

  it('compacts appended files per date folder without changing what a retrieval returns', async () => {
    await using repo = await tempRepo();
    const fv = pushedView();
    const source = fv.spec.source.type === 'push' ? fv.spec.source.batchSource : (undefined as never);
    for (let i = 0; i < 6; i++) {
      await repo.store.appendRows(source, fv.spec, [
        {
          user_id: i % 2,
          ts: new Date(Date.UTC(2024, 2, 1 + (i % 2), i)),
          created: new Date(Date.UTC(2024, 2, 1, 0, 0, i)),
          clicks: i,
          last_genre: `g${i}`,
        },
      ]);
    }
    const req = requestOf(registryOf([fv.spec]), { features: ['user_events:clicks', 'user_events:last_genre'] }, [
      { user_id: 0, event_timestamp: new Date('2024-03-03T00:00:00Z') },
      { user_id: 1, event_timestamp: new Date('2024-03-02T02:00:00Z') },
    ]);
    const before = await (await repo.store.getHistoricalFeatures(req)).toRows();
    expect(await repo.store.compact(source)).toEqual({ partitions: 2, filesBefore: 6, filesAfter: 2 });
    expect(
      filesUnder(path.join(repo.dir, 'data/pushed/user_events'))
        .map((f) => f.replace(/part-[0-9a-f-]+/, 'part-X'))
        .sort(),
    ).toEqual(['date=2024-03-01/part-X.parquet', 'date=2024-03-02/part-X.parquet']);
    expect(await (await repo.store.getHistoricalFeatures(req)).toRows()).toEqual(before);
    expect(before.map((r) => r.clicks)).toEqual([4, 1]);
  });

  it('refuses a bad row with its index and column, and writes nothing', async () => {
    await using repo = await tempRepo();
    const fv = pushedView();
    const source = fv.spec.source.type === 'push' ? fv.spec.source.batchSource : (undefined as never);
    await expect(
      repo.store.appendRows(source, fv.spec, [
        { user_id: 1, ts: new Date(), clicks: 1, last_genre: 'x' },
        { user_id: 1, ts: new Date(), clicks: 'many', last_genre: 'x' },
      ]),
    ).rejects.toMatchObject({
      code: 'INVALID_PUSH_ROW',
      message: expect.stringContaining("Row 1 for feature view 'user_events': 'clicks' is \"many\", declared int64"),
    });
    await expect(repo.store.appendRows(source, fv.spec, [{ user_id: 1, clicks: 1 }])).rejects.toMatchObject({ code: 'INVALID_PUSH_ROW' });
    await expect(repo.store.appendRows(source, fv.spec, [{ ts: new Date(), clicks: 1 }])).rejects.toMatchObject({
      code: 'INVALID_PUSH_ROW',
      message: expect.stringContaining("'user_id' is undefined"),
    });
    expect(() => filesUnder(path.join(repo.dir, 'data/pushed'))).toThrow(); // the folder was never created
  });

  it('refuses a single-file batch path, which could not take new files', async () => {
    await using repo = await tempRepo();
    const single = fileSource({ name: 'one', path: 'one.parquet', timestampField: 'ts' });
    const fv = featureView({
      name: 'one_view',
      entities: [user],
      source: pushSource({ name: 'one_push', batchSource: single }),
      schema: [field('clicks', Int64)],
    });
    await expect(repo.store.appendRows(single.spec, fv.spec, [{ user_id: 1, ts: new Date(), clicks: 1 }])).rejects.toMatchObject({
      code: 'SOURCE_NOT_APPENDABLE',
      httpStatus: 400,
      message: expect.stringContaining('**/*.parquet'),
    });
  });

  it('validateSource (frec apply) refuses a push source whose batch source is a single file, naming source and fix', async () => {
    await using repo = await tempRepo();
    const single = fileSource({ name: 'one', path: 'one.parquet', timestampField: 'ts' });
    const fv = featureView({
      name: 'one_view',
      entities: [user],
      source: pushSource({ name: 'one_push', batchSource: single }),
      schema: [field('clicks', Int64)],
    });
    await expect(repo.store.validateSource(fv.spec)).rejects.toMatchObject({
      code: 'SOURCE_NOT_APPENDABLE',
      where: { source: 'one', featureView: 'one_view' },
      hint: expect.stringContaining("'data/pushed/one/**/*.parquet'"),
    });
    // A folder glob is fine before any file exists.
    const folder = fileSource({ name: 'many', path: 'data/pushed/many/**/*.parquet', timestampField: 'ts' });
    const ok = featureView({
      name: 'many_view',
      entities: [user],
      source: pushSource({ name: 'many_push', batchSource: folder }),
      schema: [field('clicks', Int64)],
    });
    await repo.store.validateSource(ok.spec);
  });
});

describe('validateSource of a stream source', () => {
  it('checks its batch source: passes with no file yet, names file and types on a mismatch', async () => {
    await using repo = await tempRepo();
    const batch = fileSource({ name: 'clicks_batch', path: 'data/clicks', timestampField: 'ts' });
    const fv = featureView({
      name: 'clicks',
      entities: [user],
      source: streamSource({ name: 'clicks_stream', topic: 'clicks', timestampField: 'ts', batchSource: batch }),
      schema: [field('n', Int64)],
    });
    await repo.store.validateSource(fv.spec);
    mkdirSync(path.join(repo.dir, 'data/clicks/date=2024-01-01'), { recursive: true });
    await repo.sql(
      `COPY (SELECT 1 AS user_id, TIMESTAMP '2024-01-01' AS ts, 'many' AS n) TO '${repo.dir}/data/clicks/date=2024-01-01/part-0.parquet' (FORMAT parquet)`,
    );
    await expect(repo.store.validateSource(fv.spec)).rejects.toMatchObject({
      code: 'SOURCE_SCHEMA_MISMATCH',
      message: expect.stringContaining(
        `'n' is VARCHAR in '${repo.dir}/data/clicks/date=2024-01-01/part-0.parquet', but the feature is declared as int64`,
      ),
    });
  });
});

describe('pullLatest', () => {
  it('returns the latest row per key inside [start, end), created time breaking ties, in batches', async () => {
    await using repo = await tempRepo();
    await repo.sql(`COPY (SELECT * FROM (VALUES
        (1, TIMESTAMP '2024-01-01 00:00:00', TIMESTAMP '2024-01-01 00:00:00', 1.0),
        (1, TIMESTAMP '2024-01-02 00:00:00', TIMESTAMP '2024-01-02 00:00:05', 2.0),
        (1, TIMESTAMP '2024-01-02 00:00:00', TIMESTAMP '2024-01-02 00:00:09', 3.0),
        (1, TIMESTAMP '2024-01-03 00:00:00', TIMESTAMP '2024-01-03 00:00:00', 4.0),
        (2, TIMESTAMP '2024-01-01 12:00:00', NULL, 5.0),
        (3, TIMESTAMP '2023-12-31 23:59:59', NULL, 6.0)
      ) v(user_id, ts, created, score)) TO '${repo.dir}/s.parquet' (FORMAT parquet)`);
    const fv = featureView({
      name: 's',
      entities: [user],
      source: fileSource({ name: 'ss', path: 's.parquet', timestampField: 'ts', createdTimestampColumn: 'created' }),
      schema: [field('score', Float64)],
    });
    const batches: PulledBatch[] = [];
    for await (const b of repo.store.pullLatest(fv.spec, new Date('2024-01-01T00:00:00Z'), new Date('2024-01-03T00:00:00Z'), {
      batchSize: 1,
    }))
      batches.push(b);
    expect(batches.every((b) => b.keys.length === 1)).toBe(true);
    const got = batches
      .map((b) => [b.keys[0]![0], b.columns.score![0], new Date(b.eventTimeMs[0]!).toISOString(), b.createdTimeMs[0]])
      .sort((a, b) => Number(a[0]) - Number(b[0]));
    expect(got).toEqual([
      [1, 3, '2024-01-02T00:00:00.000Z', Date.parse('2024-01-02T00:00:09Z')],
      [2, 5, '2024-01-01T12:00:00.000Z', 0],
    ]);
    expect(await repo.store.countLatest(fv.spec, new Date('2024-01-01T00:00:00Z'), new Date('2024-01-03T00:00:00Z'))).toBe(2);
  });
});

describe('pullLatest in key parts', () => {
  it('pulls a view larger than pull_pass_rows in disjoint hash parts, with the same rows and count as one pass', async () => {
    await using small = await tempRepo({ pullPassRows: 200 });
    await using whole = await tempRepo();
    // 500 keys x 3 versions over two files: 1,500 source rows, so 8 parts of at most 200 rows' worth.
    for (const repo of [small, whole])
      for (const [file, first] of [
        ['a', 0],
        ['b', 2],
      ] as const)
        await repo.sql(
          `COPY (SELECT u % 500 AS user_id, make_timestamp((${Date.UTC(2024, 0, 1)} + (u // 500) * 3600000) * 1000) AS ts, u * 1.5 AS score FROM range(${first * 500}, ${first * 500 + (file === 'a' ? 1000 : 500)}) t(u)) TO '${repo.dir}/${file}.parquet' (FORMAT parquet)`,
        );
    const fv = featureView({
      name: 's',
      entities: [user],
      source: fileSource({ name: 'ss', path: '*.parquet', timestampField: 'ts' }),
      schema: [field('score', Float64)],
    });
    const pull = async (repo: typeof small) => {
      const rows: Array<[number, number, number]> = [];
      for await (const b of repo.store.pullLatest(fv.spec, new Date(0), new Date('2030-01-01T00:00:00Z'), { batchSize: 64 }))
        b.keys.forEach((k, i) => rows.push([Number(k[0]), b.columns.score![i] as number, b.eventTimeMs[i]!]));
      return rows.sort((x, y) => x[0] - y[0]);
    };
    const conn = await small.store.connect();
    const shape = await inspectSource(conn, fv.spec, small.dir);
    expect(await keyPartsFor(conn, shape, 200)).toBe(8);
    conn.closeSync();
    const parts = await pull(small);
    expect(parts).toHaveLength(500);
    expect(parts).toEqual(await pull(whole));
    // The newest of the 3 versions wins: u = user_id + 1000.
    expect(parts[7]).toEqual([7, (7 + 1000) * 1.5, Date.UTC(2024, 0, 1) + 2 * 3600000]);
    expect(await small.store.countLatest(fv.spec, new Date(0), new Date('2030-01-01T00:00:00Z'))).toBe(500);
  });
});

describe('registration', () => {
  it("importing @frec/offline registers type 'duckdb' with the config's DuckDB settings", async () => {
    await using repo = await tempRepo();
    const config = parseRepoConfig(
      `project: p\nplugins: ['@frec/online', '@frec/offline', '@frec/streaming/redis-streams']\nregistry: data/registry.json\noffline_store:\n  type: duckdb\n  temp_directory: spill\n  memory_limit: 512MB\n  threads: 1\n`,
      {
        file: path.join(repo.dir, 'feature_store.yaml'),
        repoPath: repo.dir,
      },
    );
    const store = await createOfflineStore(config);
    try {
      expect(store).toBeInstanceOf(DuckDBOfflineStore);
      const conn = await (store as DuckDBOfflineStore).connect();
      const r = await conn.runAndReadAll(
        `SELECT current_setting('threads')::INT AS t, current_setting('temp_directory') AS d, current_setting('memory_limit') AS m`,
      );
      conn.closeSync();
      expect(r.getRowObjectsJS()[0]).toMatchObject({
        t: 1,
        d: path.join(repo.dir, 'spill'),
        m: expect.stringMatching(/^(488\.2 MiB|512\.0 MB)$/),
      });
    } finally {
      await store.close();
    }
  });
});
