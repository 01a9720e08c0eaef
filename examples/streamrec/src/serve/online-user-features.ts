import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FeatureStore, buildRepoContents, parseRepoConfig, type StoreSection } from '@frec/core';
import '@frec/online';
import * as repo from '../../feature_repo/features.js';
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
 * materializes `user_stats` and `user_recent` from the offline store when they were never
 * materialized, then reads them through `getOnlineFeatures` on every request.
 */
export async function repoOnlineUserFeatures(
  repoPath: string,
  log: (line: string) => void = () => {},
): Promise<{ source: UserFeatureSource; store: FeatureStore; close(): Promise<void> }> {
  const store = await FeatureStore.open({ repoPath });
  await store.apply();
  const views = ['user_stats', 'user_recent'];
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
  /** Writes every user's latest feature rows from the snapshot (what materialization leaves online). */
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
    "project: streamrec\nplugins: ['@frec/online', '@frec/offline', '@frec/streaming/redis-streams']\nregistry: { path: registry.json, cache_ttl_seconds: 300 }",
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
      const stats: Array<Record<string, unknown>> = [];
      const recent: Array<Record<string, unknown>> = [];
      const ts = new Date(snap.maxTimeMs);
      for (const [userId, h] of snap.histories) {
        const r = userFeatureRow(h, genresOf);
        stats.push({
          user_id: userId,
          n_ratings: r.n_ratings,
          mean_rating: r.mean_rating,
          days_active: r.days_active,
          genre_affinity: r.genre_affinity,
          event_timestamp: ts,
        });
        recent.push({
          user_id: userId,
          last_10_items: r.last_10_items,
          session_length: r.session_length,
          session_duration: r.session_duration,
          event_timestamp: ts,
        });
      }
      await store.writeToOnlineStore('user_stats', stats);
      await store.writeToOnlineStore('user_recent', recent);
      return stats.length + recent.length;
    },
    close: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
