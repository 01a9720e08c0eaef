/**
 * @frec/online: the online stores. Importing it registers the `redis` and `sqlite` plugins as
 * `online_store.type` values (list '@frec/online' under `plugins:` in feature_store.yaml, or import it).
 */
import { registerPlugin } from '@frec/core/spi';
import { redisOnlineStore } from './redis/redis-online-store-plugin.js';
import { sqliteOnlineStore } from './sqlite/sqlite-online-store-plugin.js';

registerPlugin(redisOnlineStore, sqliteOnlineStore);

export { redisOnlineStore, sqliteOnlineStore };
export { RedisOnlineStore } from './redis/redis-online-store.js';
export {
  redisOnlineStoreConfigSchema,
  type RedisOnlineStoreConfig,
  type RedisOnlineStoreConfigInput,
} from './redis/redis-online-store-config.js';
export { SqliteOnlineStore } from './sqlite/sqlite-online-store.js';
export { sqliteOnlineStoreConfigSchema, type SqliteOnlineStoreConfig } from './sqlite/sqlite-online-store-config.js';
export { encodeRow, rowSchemaOf, featureSetId, ROW_FORMAT, type RowSchema } from './codec/row-codec.js';
export { entityKeyString } from './codec/entity-key.js';
