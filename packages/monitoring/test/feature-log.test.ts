import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { seededRandom } from '@frec/core/spi';
import { FeatureLogger, ImpressionLogger, queryParquet, sqlLiteral } from '../src/index.js';

const root = mkdtempSync(path.join(tmpdir(), 'frec-feature-log-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('feature log (Parquet per docs/monitoring-contract.md)', () => {
  it('writes sampled requests in batches, partitioned by UTC date, with the contract columns and value split', async () => {
    const dir = path.join(root, 'flog');
    const log = new FeatureLogger({ dir, sampleRate: 0.25, writer: 'test', flushRows: 1000, flushIntervalMs: 0, random: seededRandom(3) });
    let sampled = 0;
    for (let i = 0; i < 400; i++) {
      if (!log.sample()) continue;
      sampled++;
      log.logColumns({
        requestId: `req-${i}`,
        servedAt: new Date(Date.UTC(2026, 11, 1 + (i % 2), 23, 59)),
        service: 'ranker_v1',
        features: ['user_stats:mean_rating', 'user_stats:genre', 'user_recent:last_10_items'],
        entityKeys: ['user_id=1', 'user_id=2'],
        values: [
          [i / 100, null],
          ['drama', 'comedy'],
          [[1, 2, 3], null],
        ],
        statuses: [
          ['PRESENT', 'NOT_FOUND'],
          ['PRESENT', 'PRESENT'],
          ['PRESENT', 'OUTSIDE_MAX_AGE'],
        ],
      });
    }
    expect(sampled).toBeGreaterThan(70);
    expect(sampled).toBeLessThan(130);
    // Nothing is written per request: only a flush writes files.
    expect(readdirSync(root)).not.toContain('flog');
    await log.close();
    expect(log.stats()).toEqual({ written: sampled * 6, buffered: 0, dropped: 0, files: 2 });
    expect(readdirSync(dir).sort()).toEqual(['date=2026-12-01', 'date=2026-12-02']);
    const files = readdirSync(path.join(dir, 'date=2026-12-01'));
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^test-.*-00000[12]\.parquet$/);
    const glob = sqlLiteral(path.join(dir, '*/*.parquet'));
    const schema = await queryParquet(`DESCRIBE SELECT * FROM read_parquet(${glob}, hive_partitioning = false)`);
    expect(schema.map((c) => [c.column_name, c.column_type])).toEqual([
      ['request_id', 'VARCHAR'],
      ['served_at', 'TIMESTAMP WITH TIME ZONE'],
      ['service', 'VARCHAR'],
      ['feature', 'VARCHAR'],
      ['entity_key', 'VARCHAR'],
      ['value_num', 'DOUBLE'],
      ['value_str', 'VARCHAR'],
      ['status', 'VARCHAR'],
    ]);
    const rows = await queryParquet(
      `SELECT feature, entity_key, value_num, value_str, status, count(*) AS n FROM read_parquet(${glob}) GROUP BY ALL ORDER BY feature, entity_key, status`,
    );
    const key = (r: Record<string, unknown>) => `${r.feature} ${r.entity_key} ${r.status}`;
    const by = new Map(rows.map((r) => [key(r), r]));
    expect(by.get('user_recent:last_10_items user_id=1 PRESENT')).toMatchObject({ value_num: 3, value_str: null });
    expect(by.get('user_recent:last_10_items user_id=2 OUTSIDE_MAX_AGE')).toMatchObject({ value_num: null });
    expect(by.get('user_stats:genre user_id=2 PRESENT')).toMatchObject({ value_str: 'comedy', value_num: null });
    expect(by.get('user_stats:mean_rating user_id=2 NOT_FOUND')).toMatchObject({ value_num: null });
    expect(Number((await queryParquet(`SELECT count(DISTINCT request_id) AS n FROM read_parquet(${glob})`))[0]!.n)).toBe(sampled);
  });

  it('keeps rows when a flush fails and writes them on the next one; sample rate 0 logs nothing', async () => {
    const file = path.join(root, 'not-a-dir');
    (await import('node:fs')).writeFileSync(file, 'x');
    const errors: unknown[] = [];
    const log = new FeatureLogger({ dir: file, sampleRate: 1, writer: 'w', flushIntervalMs: 0, onError: (e) => errors.push(e) });
    log.logRow({ requestId: 'r', service: 'adhoc', entityKey: 'user_id=1', values: { 'v:a': 1, 'v:b': 'x' } });
    await log.flush();
    expect(errors).toHaveLength(1);
    expect(log.stats()).toMatchObject({ written: 0, buffered: 2 });
    expect(new FeatureLogger({ dir: file, sampleRate: 0, writer: 'w' }).sample()).toBe(false);
  });

  it('impression log: one row per served item with position, model version and arm', async () => {
    const dir = path.join(root, 'imps');
    const log = new ImpressionLogger({ dir, flushIntervalMs: 0 });
    expect(
      log.log({
        requestId: 'a',
        userId: 7,
        items: [
          { itemId: 10, score: 0.9 },
          { itemId: 11, score: 0.5 },
        ],
        modelVersion: 'ranker@2',
        arm: 'candidate',
        level: 'FULL',
        servedAt: new Date('2026-12-03T01:00:00Z'),
      }),
    ).toBe(true);
    await log.close();
    const rows = await queryParquet(
      `SELECT user_id, item_id, position, model_version, arm, level FROM read_parquet(${sqlLiteral(path.join(dir, 'date=2026-12-03/*.parquet'))}) ORDER BY position`,
    );
    expect(rows).toEqual([
      { user_id: '7', item_id: '10', position: 0, model_version: 'ranker@2', arm: 'candidate', level: 'FULL' },
      { user_id: '7', item_id: '11', position: 1, model_version: 'ranker@2', arm: 'candidate', level: 'FULL' },
    ]);
  });
});
