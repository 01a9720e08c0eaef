import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { Redis } from 'ioredis';
import {
  buildRepoContents,
  entity,
  featureView,
  FeatureStore,
  field,
  fileSource,
  loadRepoConfig,
  pushSource,
  type RepoContents,
} from '../src/index.js';
import { deleteKeysWithPrefix } from '@frec/online/testing';

export const REDIS_URL = process.env.FREC_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Event times of the generated rows lie in [BASE, BASE + 10 days). */
export const BASE = Date.UTC(2026, 0, 1);
export const DAY = 86_400_000;

/** The definitions materialization and push tests use. */
export function definitions(): RepoContents {
  const user = entity({ name: 'user', joinKey: 'user_id', valueType: 'int64' });
  const item = entity({ name: 'item', joinKey: 'item_id', valueType: 'string' });
  const userSrc = fileSource({ name: 'user_stats_src', path: 'data/user_stats/*.parquet', timestampField: 'event_timestamp' });
  const itemSrc = fileSource({ name: 'item_stats_src', path: 'data/item_stats/*.parquet', timestampField: 'event_timestamp' });
  const userStats = featureView({
    name: 'user_stats',
    entities: [user],
    source: userSrc,
    schema: [field('f0', 'float64'), field('f1', 'float64'), field('n', 'int64'), field('tag', 'string'), field('emb', 'float32[]')],
  });
  const itemStats = featureView({ name: 'item_stats', entities: [item], source: itemSrc, schema: [field('popularity', 'float64')] });
  const pushBatch = fileSource({ name: 'user_push_rows', path: 'data/pushed/user_push/**/*.parquet', timestampField: 'event_timestamp' });
  const push = pushSource({ name: 'user_push', batchSource: pushBatch });
  const pushed = featureView({
    name: 'user_push_stats',
    entities: [user],
    source: push,
    schema: [field('clicks', 'int64'), field('score', 'float64'), field('genres', 'string[]')],
  });
  return buildRepoContents([user, item, userSrc, itemSrc, userStats, itemStats, pushBatch, push, pushed].map((object) => ({ object })));
}

/** A temp feature repo on the real Redis (unique key prefix) and DuckDB; dispose removes every key and file. */
export interface TestRepo {
  dir: string;
  prefix: string;
  store: FeatureStore;
  sql(s: string): Promise<void>;
  /** Writes `users` user rows, `versions` versions each, as data/user_stats/<name>.parquet (deterministic values). */
  writeUsers(name: string, users: number, versions: number, offsetMs?: number): Promise<void>;
  /** Every stored online key of the repo's prefix with its value, for exact comparisons. */
  dumpOnline(): Promise<Map<string, string>>;
  dispose(): Promise<void>;
}

export async function testRepo(options: { prefix?: string } = {}): Promise<TestRepo> {
  const prefix = options.prefix ?? `frec-test-${randomUUID().slice(0, 8)}:`;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'frec-mat-'));
  mkdirSync(path.join(dir, 'data', 'user_stats'), { recursive: true });
  mkdirSync(path.join(dir, 'data', 'item_stats'), { recursive: true });
  writeFileSync(
    path.join(dir, 'feature_store.yaml'),
    `project: mattest\nplugins: ['@frec/online', '@frec/offline', '@frec/streaming/redis-streams']\nregistry:\n  path: data/registry.json\n  cache_ttl_seconds: 0\nonline_store:\n  type: redis\n  connection_string: ${REDIS_URL}\n  key_prefix: "${prefix}"\n  command_timeout_ms: 5000\noffline_store:\n  type: duckdb\n`,
  );
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  const sql = async (s: string): Promise<void> => void (await conn.run(s));
  const contents = definitions();
  const store = await FeatureStore.open({ config: loadRepoConfig(dir), definitions: contents });
  await sql(
    `COPY (SELECT 'i' || i AS item_id, i * 1.5 AS popularity, make_timestamp((${BASE} + i * 1000) * 1000) AS event_timestamp FROM range(50) t(i)) TO '${dir}/data/item_stats/part0.parquet' (FORMAT parquet)`,
  );
  const redis = new Redis(REDIS_URL);
  const writeUsers = async (name: string, users: number, versions: number, offsetMs = 0): Promise<void> => {
    // Deterministic "seeded" values: a function of (user, version) only.
    await sql(
      `COPY (SELECT u AS user_id, (u * 31 + v * 7) % 1000 / 10.0 AS f0, (u * 17 + v) % 97 * 0.25 AS f1, CAST(u * 10 + v AS BIGINT) AS n,
        'tag' || (u % 7) AS tag, [CAST(u % 5 AS FLOAT), CAST(v AS FLOAT)] AS emb,
        make_timestamp((${BASE + offsetMs} + v * ${DAY} + u * 1000) * 1000) AS event_timestamp
       FROM range(1, ${users + 1}) a(u), range(${versions}) b(v)) TO '${dir}/data/user_stats/${name}.parquet' (FORMAT parquet)`,
    );
  };
  await writeUsers('part0', 200, 3);
  await store.apply(contents, { validateSources: true });
  return {
    dir,
    prefix,
    store,
    sql,
    writeUsers,
    dumpOnline: async () => {
      const out = new Map<string, string>();
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 2000);
        cursor = next;
        if (keys.length === 0) continue;
        const vals = await redis.mgetBuffer(...keys);
        keys.forEach((k, i) => vals[i] && out.set(k, vals[i]!.toString('base64')));
      } while (cursor !== '0');
      return out;
    },
    dispose: async () => {
      await store.close();
      await deleteKeysWithPrefix(redis, prefix);
      redis.disconnect();
      conn.closeSync();
      db.closeSync();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
