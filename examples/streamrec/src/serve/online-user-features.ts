import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FeatureStore, buildRepoContents, parseRepoConfig, type StoreSection } from '@frec/core';
import '@frec/online';
import * as repo from '../../feature_repo/features.js';
import { sqlString, withDuckDb } from '../data/duckdb-session.js';
import { genreVector, userFeatureRow, type MovieLensSnapshot } from './movielens-snapshot.js';
import type { UserFeatureSource } from './streamrec-recommender.js';
import { USER_FEATURE_REFS } from './user-feature-refs.js';

const USER_FEATURES = Object.values(USER_FEATURE_REFS);

/** Reads StreamRec's user batch and stream features for one user through `getOnlineFeatures`. */
function lookupSource(store: FeatureStore): UserFeatureSource {
  return {
    kind: 'lookup',
    lookup: async (userId) => {
      const res = await store.getOnlineFeatures({ features: USER_FEATURES, entityRows: [{ user_id: userId }] });
      const row = res.toRows()[0] ?? {};
      const present = res.featureNames.indexOf('last_10_items');
      // Stream features missing (never written, or expired): batch features only.
      const stale = present < 0 || res.statuses[present]![0] !== 'PRESENT';
      return { row, stale };
    },
  };
}

/**
 * Serves user features from the feature repo's own online store (SQLite on embedded defaults):
 * materializes `user_rating_aggs` (the aggregates `user_stats` is computed from) and `user_recent`
 * from the offline store when they were never materialized, then reads them through
 * `getOnlineFeatures` on every request.
 */
export async function repoOnlineUserFeatures(
  repoPath: string,
  log: (line: string) => void = () => {},
): Promise<{ source: UserFeatureSource; store: FeatureStore; close(): Promise<void> }> {
  const store = await FeatureStore.open({ repoPath });
  await store.apply();
  const views = ['user_rating_aggs', 'user_recent'];
  const todo: string[] = [];
  for (const v of views) if (!(await store.registry.materializationState(v)).watermark) todo.push(v);
  if (todo.length > 0) {
    const res = await store.materialize(new Date(0), new Date(), { views: todo });
    log(
      `materialized ${todo.join(', ')}: ${res.rows} rows into the ${store.config.online_store.type} online store in ${res.seconds.toFixed(1)} s`,
    );
  }
  return { source: lookupSource(store), store, close: () => store.close() };
}

/** The online-store feature source and its store, for serving StreamRec from Redis (or SQLite). */
export interface OnlineUserFeatures {
  source: UserFeatureSource;
  store: FeatureStore;
  /**
   * Puts every user's features online from the snapshot: its ratings become the rating events that
   * frec materializes user_rating_aggs from (user_stats is computed from those), and user_recent's
   * latest row is written as the stream worker would leave it. Returns the online rows written.
   */
  seed(snapshot: MovieLensSnapshot): Promise<number>;
  close(): Promise<void>;
}

/**
 * Serves StreamRec's user features (user_stats + user_recent, the feature repo's definitions)
 * from an online store through `getOnlineFeatures`. The registry lives in a private temp folder
 * so serving never rewrites the repo's own registry.
 */
export async function onlineUserFeatures(online: StoreSection): Promise<OnlineUserFeatures> {
  const dir = mkdtempSync(path.join(tmpdir(), 'streamrec-serve-'));
  const base = parseRepoConfig(
    "project: streamrec\nplugins: ['@frec/online', '@frec/offline', '@frec/streaming/redis-streams']\nregistry: { path: registry.json, cache_ttl_seconds: 300 }\noffline_store: { type: duckdb }",
    {
      file: path.join(dir, 'feature_store.yaml'),
      repoPath: dir,
    },
  );
  const definitions = buildRepoContents(
    Object.values(repo)
      .filter((v): v is Extract<typeof v, { kind: string }> => typeof v === 'object' && v !== null && 'kind' in v)
      .map((object) => ({ object: object as never })),
  );
  const store = await FeatureStore.open({ config: { ...base, online_store: online }, definitions });
  await store.apply(definitions, { validateSources: false });
  const source = lookupSource(store);
  return {
    source,
    store,
    seed: async (snap) => {
      const genresOf = new Map(snap.movies.map((m) => [m.id, genreVector(m.genres)]));
      const catalog = new Map(snap.movies.map((m) => [m.id, m.genres]));
      const recent: Array<Record<string, unknown>> = [];
      const ts = new Date(snap.maxTimeMs);
      const lines: string[] = [];
      for (const [userId, h] of snap.histories) {
        h.items.forEach((item, i) =>
          lines.push(
            JSON.stringify({ user_id: userId, item_id: item, rating: h.ratings[i], t: h.timesMs[i], genres: catalog.get(item) ?? [] }),
          ),
        );
        const r = userFeatureRow(h, genresOf);
        recent.push({
          user_id: userId,
          last_10_items: r.last_10_items,
          session_length: r.session_length,
          session_duration: r.session_duration,
          event_timestamp: ts,
        });
      }
      // The rating events where the definitions' rating_events source reads them, relative to the registry folder.
      mkdirSync(path.join(dir, 'data'), { recursive: true });
      const json = path.join(dir, 'ratings.ndjson');
      writeFileSync(json, lines.join('\n'));
      await withDuckDb((conn) =>
        conn.run(`COPY (SELECT CAST(user_id AS BIGINT) AS user_id, CAST(item_id AS BIGINT) AS item_id, CAST(rating AS DOUBLE) AS rating,
            make_timestamptz(CAST(t AS BIGINT) * 1000) AS event_timestamp, CAST(genres AS VARCHAR[]) AS genres
          FROM read_json(${sqlString(json)}, format = 'newline_delimited', columns = {user_id: 'BIGINT', item_id: 'BIGINT', rating: 'DOUBLE', t: 'BIGINT', genres: 'VARCHAR[]'}))
          TO ${sqlString(path.join(dir, 'data', 'interactions.parquet'))} (FORMAT parquet)`),
      );
      const stats = await store.materialize(new Date(0), new Date(snap.maxTimeMs + 1), { views: ['user_rating_aggs'] });
      await store.writeToOnlineStore('user_recent', recent);
      return stats.rows + recent.length;
    },
    close: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
