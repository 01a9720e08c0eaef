import { definePlugin } from '@frec/core/spi';
import { redisStreamsConfigSchema } from './redis-streams-config.js';
import { brokerUrlOf, RedisStreamsBroker } from './redis-streams-broker.js';

/** Stream broker `redis`: Redis Streams consumer groups, aggregate states in the same Redis. */
export const redisStreamsBroker = definePlugin({
  kind: 'streamBroker',
  type: 'redis',
  description: 'Redis Streams consumer groups',
  configSchema: redisStreamsConfigSchema,
  create: (config, { repoConfig }) => {
    const online = repoConfig.online_store;
    const onlinePrefix = online.type === 'redis' && typeof online.key_prefix === 'string' ? online.key_prefix : '';
    return new RedisStreamsBroker({ url: brokerUrlOf(repoConfig, config.url), keyPrefix: config.key_prefix ?? onlinePrefix });
  },
});
