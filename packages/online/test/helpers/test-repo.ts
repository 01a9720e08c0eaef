import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  Array as ArrayOf,
  Bool,
  Bytes,
  Float32,
  Float64,
  Int64,
  String as Str,
  UnixTimestamp,
  buildRepoContents,
  entity,
  featureService,
  featureView,
  field,
  fileSource,
  onDemandFeatureView,
  parseRepoConfig,
  requestSource,
  FeatureStore,
  type StoreSection,
} from '@frec/core';
import '../../src/index.js';

/** The definitions the online tests apply: every value type, a composite key, an on-demand view and a service. */
export function testDefinitions(options: { extraFeature?: boolean } = {}) {
  const user = entity({ name: 'user', joinKey: 'user_id', valueType: Int64 });
  const item = entity({ name: 'item', joinKey: 'item_id', valueType: Str });
  const src = fileSource({
    name: 'events',
    path: 'data/events.parquet',
    timestampField: 'event_timestamp',
    createdTimestampColumn: 'created',
  });
  const userStats = featureView({
    name: 'user_stats',
    entities: [user],
    ttl: '1d',
    source: src,
    schema: [
      field('mean_rating', Float64),
      field('n_ratings', Int64),
      field('genres', ArrayOf(Str)),
      field('embedding', ArrayOf(Float32)),
      field('active', Bool),
      field('last_seen', UnixTimestamp),
      field('blob', Bytes),
      ...(options.extraFeature ? [field('country', Str)] : []),
    ],
  });
  const itemStats = featureView({
    name: 'item_stats',
    entities: [item],
    source: src,
    schema: [field('popularity', Float32), field('title', Str)],
  });
  const userItem = featureView({ name: 'user_item', entities: [user, item], source: src, schema: [field('affinity', Float64)] });
  const ctx = requestSource({ name: 'ctx', schema: [field('boost', Float64)] });
  const boosted = onDemandFeatureView({
    name: 'boosted',
    sources: [userStats, ctx],
    schema: [field('boosted_rating', Float64)],
    transform: (r) => ({ boosted_rating: r.mean_rating === null ? null : (r.mean_rating as number) + (r.boost as number) }),
  });
  const ranker = featureService({ name: 'ranker_v1', features: [userStats.select(['mean_rating']), itemStats] });
  return [user, item, src, userStats, itemStats, userItem, ctx, boosted, ranker];
}

/** A FeatureStore over a temp repo folder with the test definitions applied to the given online store. */
export interface TestRepo {
  store: FeatureStore;
  dir: string;
  /** Opens another FeatureStore on the same registry and online store (e.g. with changed definitions). */
  reopen(options?: { extraFeature?: boolean }): Promise<FeatureStore>;
  /** Opens a FeatureStore on the same registry with another online store, without applying. */
  openWith(online: StoreSection): Promise<FeatureStore>;
  close(): Promise<void>;
}

/** Opens a TestRepo on `online` (project `online_test` unless told). */
export async function openTestRepo(
  online: StoreSection,
  options: { project?: string; maxOnlineEntities?: number } = {},
): Promise<TestRepo> {
  const dir = mkdtempSync(path.join(tmpdir(), 'frec-online-'));
  const project = options.project ?? 'online_test';
  const yaml = [
    `project: ${project}`,
    "plugins: ['@frec/online', '@frec/offline', '@frec/streaming/redis-streams']",
    'registry: { path: data/registry.json, cache_ttl_seconds: 0 }',
    `max_online_entities: ${options.maxOnlineEntities ?? 1000}`,
  ].join('\n');
  const config = { ...parseRepoConfig(yaml, { file: path.join(dir, 'feature_store.yaml'), repoPath: dir }), online_store: online };
  const opened: FeatureStore[] = [];
  const open = async (extraFeature = false): Promise<FeatureStore> => {
    const definitions = buildRepoContents(testDefinitions({ extraFeature }).map((object) => ({ object })));
    const store = await FeatureStore.open({ config, definitions });
    await store.apply(definitions, { validateSources: false });
    opened.push(store);
    return store;
  };
  const store = await open();
  return {
    store,
    dir,
    reopen: (o = {}) => open(o.extraFeature ?? false),
    openWith: async (other) => {
      const s = await FeatureStore.open({ config: { ...config, online_store: other } });
      opened.push(s);
      return s;
    },
    close: async () => {
      for (const s of opened) await s.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
