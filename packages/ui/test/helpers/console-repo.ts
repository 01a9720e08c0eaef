import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { FeatureStore } from '@frec/core';
import { seededRandom } from '@frec/core/spi';
import { openModelRegistry, type ModelRegistry } from '@frec/model-registry';
import { categoricalEntry, numericEntry, writeFeatureLog, writeSkewReport, type FeatureLogRow } from '../support/index.js';

/** Text that would run if any page rendered it as markup. */
export const PAYLOAD = `<script>window.__xss=1</script><img src=x onerror="window.__xss=2">`;

const CORE_INDEX = fileURLToPath(new URL('../../../core/src/index.ts', import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const SEGMENTS = ['new', 'casual', 'regular', 'power', 'lapsed'];
/** The served days the feature log and skew reports cover. */
export const DAYS = ['2026-11-28', '2026-11-29', '2026-11-30'];

export interface ConsoleRepo {
  dir: string;
  project: string;
  store: FeatureStore;
  models: ModelRegistry;
  /** Reference (offline) values of user_stats:score and :segment, in source row order. */
  reference: { score: Array<number | null>; segment: Array<string | null> };
  /** Served values per day. */
  served: Record<string, { score: Array<number | null>; segment: Array<string | null> }>;
  close(): Promise<void>;
}

/** Runs `apply` in a child process as the CLI does, so declaration sites are TypeScript lines (vitest's transform shifts them). */
export function applyInChild(dir: string): void {
  const script = path.join(dir, '.apply.mts');
  writeFileSync(
    script,
    `import { FeatureStore } from ${JSON.stringify(CORE_INDEX)};
const store = await FeatureStore.open({ repoPath: ${JSON.stringify(dir)} });
await store.apply();
await store.close();`,
  );
  const res = spawnSync(process.execPath, ['--import', TSX, script], { encoding: 'utf8', cwd: dir });
  rmSync(script, { force: true });
  if (res.status !== 0) throw new Error(`apply failed: ${res.stderr}`);
}

function definitions(extraViews: number): string {
  return `import { entity, featureService, featureView, field, fileSource, onDemandFeatureView, Float64, Int64, String as Str } from '@frec/core';

export const user = entity({ name: 'user', joinKey: 'user_id', valueType: Int64, description: 'A user of the app' });

export const userStatsSource = fileSource({ name: 'user_stats_source', path: 'data/user_stats.parquet', timestampField: 'event_timestamp' });

/** The view the tests look at; its free-text fields hold markup that must show as text. */
export const userStats = featureView({
  name: 'user_stats',
  entities: [user],
  source: userStatsSource,
  ttl: '3650d',
  description: ${JSON.stringify(`Taste of each user ${PAYLOAD}`)},
  owner: ${JSON.stringify(`ml-team ${PAYLOAD}`)},
  tags: { team: ${JSON.stringify(PAYLOAD)}, tier: 'gold' },
  schema: [
    field('score', Float64, { description: 'mean rating so far' }),
    field('n_ratings', Int64),
    field('segment', Str, { description: ${JSON.stringify(`segment ${PAYLOAD}`)} }),
  ],
});

export const scoreCtx = onDemandFeatureView({
  name: 'score_ctx',
  sources: [userStats.select(['score'])],
  schema: [field('score_doubled', Float64)],
  transform: (row) => ({ score_doubled: Number(row.score ?? 0) * 2 }),
});

export const rankerV1 = featureService({ name: 'ranker_v1', features: [userStats, scoreCtx] });

export const many = Array.from({ length: ${extraViews} }, (_, i) =>
  featureView({
    name: \`generated_view_\${String(i).padStart(4, '0')}\`,
    entities: [user],
    source: userStatsSource,
    description: \`generated view number \${i}\`,
    tags: { group: \`g\${i % 10}\` },
    schema: [field('score', Float64), field('n_ratings', Int64)],
  }),
);
`;
}

function normal(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

/**
 * A feature repo generated for the console's tests: real Parquet (one user_stats source), an
 * on-demand view and a service, `extraViews` more views on the same source, applied (with
 * declaration sites) and materialized into SQLite; three days of feature log whose served
 * scores drift away from the offline ones, a skew report per day computed by the tests' own
 * implementation, and a model registered against the service.
 */
export async function createConsoleRepo(options: { extraViews?: number; seed?: number } = {}): Promise<ConsoleRepo> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'frec-ui-repo-'));
  const project = `ui_${randomUUID().slice(0, 8).replace(/-/g, '')}`;
  mkdirSync(path.join(dir, 'data'));
  writeFileSync(
    path.join(dir, 'feature_store.yaml'),
    [
      `project: ${project}`,
      "plugins: ['@frec/online', '@frec/offline']",
      'registry: data/registry.json',
      'online_store:',
      '  type: sqlite',
      '  path: data/online.db',
      '',
    ].join('\n'),
  );
  writeFileSync(path.join(dir, 'features.ts'), definitions(options.extraViews ?? 0));

  const rand = seededRandom(options.seed ?? 42);
  const users = 300;
  const reference = { score: [] as Array<number | null>, segment: [] as Array<string | null> };
  const lines = ['user_id,event_timestamp,score,n_ratings,segment'];
  const t0 = Date.parse('2026-11-01T00:00:00Z');
  for (let u = 1; u <= users; u++) {
    for (let k = 0; k < 3; k++) {
      const score = rand() < 0.05 ? null : Number((3.5 + 0.6 * normal(rand)).toFixed(4));
      const segment = rand() < 0.02 ? null : SEGMENTS[Math.floor(rand() * rand() * SEGMENTS.length)]!;
      reference.score.push(score);
      reference.segment.push(segment);
      const ts = new Date(t0 + (u * 3 + k) * 3_600_000).toISOString();
      lines.push(`${u},${ts},${score ?? ''},${1 + Math.floor(rand() * 200)},${segment ?? ''}`);
    }
  }
  const csv = path.join(dir, 'data', 'user_stats.csv');
  writeFileSync(csv, `${lines.join('\n')}\n`);
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  await conn.run(
    `COPY (SELECT user_id::BIGINT AS user_id, event_timestamp::TIMESTAMP AS event_timestamp, score::DOUBLE AS score, n_ratings::BIGINT AS n_ratings, segment::VARCHAR AS segment
       FROM read_csv('${csv}', header = true, nullstr = '', columns = {'user_id': 'BIGINT', 'event_timestamp': 'VARCHAR', 'score': 'DOUBLE', 'n_ratings': 'BIGINT', 'segment': 'VARCHAR'}))
     TO '${path.join(dir, 'data', 'user_stats.parquet')}' (FORMAT parquet)`,
  );
  conn.closeSync();
  instance.closeSync();
  rmSync(csv);

  applyInChild(dir);
  const store = await FeatureStore.open({ repoPath: dir });
  await store.materialize(new Date(t0 - 86_400_000), new Date(t0 + 60 * 86_400_000), { views: ['user_stats'] });

  // Served values: day by day further from the offline ones (a shifted, wider score; fewer 'new' users).
  const served: ConsoleRepo['served'] = {};
  const logDir = path.join(dir, 'data', 'monitoring', 'feature-log');
  const skewDir = path.join(dir, 'data', 'monitoring', 'skew');
  for (const [d, day] of DAYS.entries()) {
    const shift = 0.15 * (d + 1);
    const s = { score: [] as Array<number | null>, segment: [] as Array<string | null> };
    const rows: FeatureLogRow[] = [];
    for (let i = 0; i < 240; i++) {
      const user = 1 + Math.floor(rand() * (users + 20));
      const missing = user > users;
      const score = missing ? null : Number((3.5 + shift + (0.6 + 0.1 * d) * normal(rand)).toFixed(4));
      const segment = missing ? null : SEGMENTS[Math.min(SEGMENTS.length - 1, Math.floor(rand() * SEGMENTS.length * (0.7 + 0.1 * d)))]!;
      s.score.push(score);
      s.segment.push(segment);
      const at = new Date(Date.parse(`${day}T08:00:00Z`) + i * 60_000);
      const status = missing ? 'NOT_FOUND' : 'PRESENT';
      rows.push({
        request_id: `r${d}-${i}`,
        served_at: at,
        service: 'ranker_v1',
        feature: 'user_stats:score',
        entity_key: String(user),
        value_num: score,
        value_str: null,
        status,
      });
      rows.push({
        request_id: `r${d}-${i}`,
        served_at: at,
        service: 'ranker_v1',
        feature: 'user_stats:segment',
        entity_key: String(user),
        value_num: null,
        value_str: segment,
        status,
      });
    }
    served[day] = s;
    await writeFeatureLog(logDir, day, rows);
    writeSkewReport(skewDir, {
      date: day,
      reference: { kind: 'offline_source', name: 'user_stats_source', rows: reference.score.length },
      servedRows: s.score.length,
      features: [
        numericEntry('user_stats:score', reference.score, s.score),
        categoricalEntry('user_stats:segment', reference.segment, s.segment),
      ],
    });
  }

  const models = openModelRegistry(path.join(dir, 'data', 'models'));
  const trainingData = { start: '2026-11-01T00:00:00.000Z', end: '2026-11-25T00:00:00.000Z', rows: 900 };
  const v1 = await models.register({
    name: 'ranker',
    featureService: 'ranker_v1',
    trainingData,
    artifacts: [{ path: 'params.json', data: new TextEncoder().encode('{"w":[1,2,3]}') }],
    metrics: { 'per_user_temporal/ndcg20': 0.1234 },
    description: 'a tiny ranker for the console tests',
  });
  await models.promote('ranker', v1.version, { featureServiceExists: async (s) => s === 'ranker_v1' });
  await models.register({
    name: 'ranker',
    featureService: 'ranker_v1',
    trainingData,
    artifacts: [{ path: 'params.json', data: new TextEncoder().encode('{"w":[1,2,4]}') }],
    metrics: { 'per_user_temporal/ndcg20': 0.1301 },
  });

  return {
    dir,
    project,
    store,
    models,
    reference,
    served,
    async close() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
