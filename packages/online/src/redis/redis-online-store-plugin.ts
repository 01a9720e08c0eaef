import { definePlugin } from '@frec/core/spi';
import { redisOnlineStoreConfigSchema } from './redis-online-store-config.js';
import { RedisOnlineStore } from './redis-online-store.js';

/** `online_store: { type: redis }`: Redis standalone or Cluster. */
export const redisOnlineStore = definePlugin({
  kind: 'onlineStore',
  type: 'redis',
  description: 'Redis standalone or Cluster (binary rows, one MGET per request)',
  configSchema: redisOnlineStoreConfigSchema,
  create: (config) => new RedisOnlineStore(config),
});
