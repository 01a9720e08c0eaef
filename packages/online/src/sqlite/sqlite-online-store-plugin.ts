import { definePlugin } from '@frec/core/spi';
import { sqliteOnlineStoreConfigSchema } from './sqlite-online-store-config.js';
import { SqliteOnlineStore } from './sqlite-online-store.js';

/** `online_store: { type: sqlite }`: the embedded default, one SQLite file in WAL mode. */
export const sqliteOnlineStore = definePlugin({
  kind: 'onlineStore',
  type: 'sqlite',
  description: 'embedded SQLite file (the default)',
  configSchema: sqliteOnlineStoreConfigSchema,
  create: (config, { repoConfig }) => new SqliteOnlineStore({ ...config, repoPath: repoConfig.repoPath }),
});
