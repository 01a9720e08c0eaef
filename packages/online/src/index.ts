/**
 * @frec/online: the online stores. Importing it registers `redis` and `sqlite` as
 * `online_store.type` values, so FeatureStore finds them from feature_store.yaml.
 */
import { registerOnlineStore } from '@frec/core';
import { RedisOnlineStore } from './redis/redis-online-store.js';
import { SqliteOnlineStore } from './sqlite/sqlite-online-store.js';

registerOnlineStore('redis', (config) => {
  if (config.online_store.type !== 'redis') throw new TypeError('redis factory called for another store type');
  return new RedisOnlineStore(config.online_store);
});
registerOnlineStore('sqlite', (config) => {
  if (config.online_store.type !== 'sqlite') throw new TypeError('sqlite factory called for another store type');
  return new SqliteOnlineStore({ ...config.online_store, repoPath: config.repoPath });
});

export { RedisOnlineStore, type RedisOnlineStoreConfig } from './redis/redis-online-store.js';
export { SqliteOnlineStore, type SqliteOnlineStoreConfig } from './sqlite/sqlite-online-store.js';
export { encodeRow, rowSchemaOf, featureSetId, ROW_FORMAT, type RowSchema } from './codec/row-codec.js';
export { entityKeyString } from './codec/entity-key.js';
export { deleteKeysWithPrefix } from './redis/redis-standalone.js';
