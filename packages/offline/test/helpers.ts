import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { type FeatureSelector, type FeatureViewSpec, type OnDemandFeatureView, type Transform, type EntityInput } from '@frec/core';
import { emptyRegistry, resolveFeatures, type HistoricalRequest, type RegistryData } from '@frec/core/spi';
import { DuckDBOfflineStore } from '../src/index.js';

/** A temporary feature repo folder with a DuckDB offline store over it; dispose removes both. */
export async function tempRepo(options: { pullPassRows?: number } = {}): Promise<{
  dir: string;
  store: DuckDBOfflineStore;
  sql: (s: string) => Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'frec-offline-'));
  const store = await DuckDBOfflineStore.create({
    repoPath: dir,
    tempDirectory: path.join(dir, '.spill'),
    threads: 2,
    memoryLimit: '1GB',
    ...options,
  });
  const writer = await (await DuckDBInstance.create(':memory:')).connect();
  return {
    dir,
    store,
    sql: async (s: string) => void (await writer.run(s)),
    async [Symbol.asyncDispose]() {
      await store.close();
      writer.closeSync();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Registry data holding the given views, on-demand views and services, as `apply` would store them. */
export function registryOf(views: FeatureViewSpec[], odfvs: OnDemandFeatureView[] = []): RegistryData {
  const data = emptyRegistry('test');
  const stored = <T>(spec: T) => ({ spec, createdAt: '', updatedAt: '', version: 1 });
  for (const v of views) data.featureViews[v.name] = stored(v);
  for (const o of odfvs) data.onDemandFeatureViews[o.name] = stored(o.spec);
  return data;
}

/** A HistoricalRequest as FeatureStore.getHistoricalFeatures builds it. */
export function requestOf(
  data: RegistryData,
  selector: FeatureSelector,
  entities: EntityInput,
  options: { fullFeatureNames?: boolean; timestampColumn?: string; odfvs?: OnDemandFeatureView[] } = {},
): HistoricalRequest {
  const resolved = resolveFeatures(data, selector);
  const transforms = new Map<string, Transform>();
  for (const o of options.odfvs ?? []) transforms.set(o.name, o.transform);
  return {
    entities,
    resolved,
    fullFeatureNames: options.fullFeatureNames ?? false,
    timestampColumn: options.timestampColumn ?? 'event_timestamp',
    transforms,
    odfvSpecs: new Map(resolved.odfvs.map((o) => [o.view.name, o.view])),
  };
}
