import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frec } from './run-frec.js';

const root = mkdtempSync(path.join(tmpdir(), 'frec-cli-agg-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A features.ts declaring one aggregation view; `patch` bends it into bad input. */
function featuresTs(patch: { aggregations?: string; derived?: string; tileSize?: string } = {}): string {
  return `import { aggregationFeatureView, entity, fileSource } from '@frec/core';
export const user = entity({ name: 'user', joinKey: 'user_id', valueType: 'int64' });
export const events = fileSource({ name: 'events', path: 'data/events.parquet', timestampField: 'ts' });
export const userAgg = aggregationFeatureView({
  name: 'user_agg', entities: [user], source: events, tileSize: '${patch.tileSize ?? '1h'}',
  derived: ${patch.derived ?? "{ liked: 'rating >= 4' }"},
  aggregations: ${
    patch.aggregations ??
    "[{ function: 'count', windows: ['1h', '1d'] }, { column: 'rating', function: 'mean', windows: ['1d'] }, { name: 'liked', function: 'count', filter: 'liked', windows: ['1d'] }]"
  },
});
`;
}

async function repo(name: string, features: string): Promise<string> {
  const dir = path.join(root, name);
  mkdirSync(path.join(dir, 'data'), { recursive: true });
  writeFileSync(
    path.join(dir, 'feature_store.yaml'),
    'project: agg\nregistry: data/registry.json\nonline_store:\n  type: sqlite\n  path: data/online.db\noffline_store:\n  type: duckdb\n',
  );
  writeFileSync(path.join(dir, 'features.ts'), features);
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  // Three days of events, one every 20 minutes per user, ratings 0..5, and a text column.
  await conn.run(
    `COPY (SELECT (i % 4 + 1)::BIGINT AS user_id, TIMESTAMP '2026-01-05' + to_minutes(i * 5) AS ts, (i % 11) / 2.0 AS rating, 'c' || (i % 3) AS comment
      FROM range(864) r(i)) TO '${dir}/data/events.parquet' (FORMAT parquet)`,
  );
  conn.closeSync();
  db.closeSync();
  return dir;
}

describe('frec with aggregation views', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await repo('good', featuresTs());
  });

  it('plan shows each aggregation and the tile size; materialize shows progress by day; describe shows windows, last tile and stream lag', async () => {
    const plan = await frec(['plan'], { cwd: dir });
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/\+ featureViews user_agg/);
    expect(plan.stdout).toMatch(/tile size 1h/);
    expect(plan.stdout).toMatch(/aggregation rating_mean_1d = mean\(rating\) over 1d/);
    expect(plan.stdout).toMatch(/aggregation liked_1d = count\(\*\) over 1d where liked/);
    const apply = await frec(['apply'], { cwd: dir });
    expect(apply.code, apply.stderr).toBe(0);

    const mat = await frec(['materialize', '2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z'], { cwd: dir });
    expect(mat.code, mat.stderr).toBe(0);
    expect(mat.stderr).toMatch(/materialize view=user_agg phase=day day=2026-01-05 days=1\/3/);
    expect(mat.stderr).toMatch(/phase=day day=2026-01-07 days=3\/3/);
    expect(mat.stdout).toMatch(/user_agg\s+2026-01-01T00:00:00.000Z\s+2026-02-01T00:00:00.000Z\s+4\s/);

    const text = await frec(['feature-views', 'describe', 'user_agg'], { cwd: dir });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/aggregation view user_agg: tile size 1h, 4 entities online, last tile 2026-01-07T23:00:00.000Z/);
    expect(text.stdout).toMatch(/stream lag: - \(batch source\)/);
    expect(text.stdout).toMatch(/rating_mean_1d\s+mean\s+rating\s+1d/);
    const json = JSON.parse((await frec(['--json', 'feature-views', 'describe', 'user_agg'], { cwd: dir })).stdout);
    expect(json.aggregation).toMatchObject({ tileSeconds: 3600, lastTile: '2026-01-07T23:00:00.000Z', entities: 4, streamLag: null });
    expect(json.aggregation.windows).toContainEqual({
      feature: 'count_1h',
      function: 'count',
      column: null,
      windowSeconds: 3600,
      filter: null,
    });
  });

  const bad: Array<[string, Parameters<typeof featuresTs>[0], RegExp, RegExp]> = [
    [
      'an undeclared column',
      { aggregations: "[{ column: 'ratng', function: 'mean', windows: ['1d'] }]" },
      /SOURCE_SCHEMA_MISMATCH/,
      /no column 'ratng', the aggregated column of feature 'ratng_mean_1d'.*Did you mean 'rating'/s,
    ],
    [
      'a wrongly typed column',
      { aggregations: "[{ column: 'comment', function: 'sum', windows: ['1d'] }]" },
      /SOURCE_SCHEMA_MISMATCH/,
      /feature 'comment_sum_1d' takes sum of column 'comment', which is VARCHAR, not a number/,
    ],
    [
      'a window that is not a multiple of the tile size',
      { aggregations: "[{ function: 'count', windows: ['90m'] }]" },
      /INVALID_DEFINITION/,
      /window 90m of feature 'count_90m' is not a multiple of the tile size 1h/,
    ],
    [
      'a derived expression that does not parse',
      { derived: "{ liked: 'rating >=' }" },
      /INVALID_DEFINITION/,
      /derived column 'liked' = rating >= is not a valid SQL expression/,
    ],
    [
      'a filter over an unknown column',
      { aggregations: "[{ function: 'count', filter: 'stars > 3', windows: ['1d'] }]" },
      /INVALID_DEFINITION/,
      /the filter of feature 'count_1d' \(stars > 3\) is not a valid boolean SQL expression/,
    ],
  ];
  it.each(bad)('apply refuses %s with a coded error naming the view and feature', async (name, patch, code, message) => {
    const d = await repo(name.replace(/\W+/g, '-'), featuresTs(patch));
    const res = await frec(['apply'], { cwd: d });
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(code);
    expect(res.stderr).toMatch(message);
    expect(res.stderr).toMatch(/user_agg/);
  });
});
