import { definePlugin } from '@frec/core/spi';
import { duckdbConfigOf, duckdbOfflineStoreConfigSchema } from './duckdb-offline-store-config.js';
import { DuckDBOfflineStore } from './duckdb-offline-store.js';

/** `offline_store: { type: duckdb }`: point-in-time joins and pulls over Parquet, in process. */
export const duckdbOfflineStore = definePlugin({
  kind: 'offlineStore',
  type: 'duckdb',
  description: 'DuckDB over Parquet (the default)',
  configSchema: duckdbOfflineStoreConfigSchema,
  create: (config, { repoConfig }) => DuckDBOfflineStore.create(duckdbConfigOf(config, repoConfig.repoPath)),
});
