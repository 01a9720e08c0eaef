/**
 * The Redis Streams broker of stream feature views. Importing it registers broker type 'redis'
 * so `frec stream` and `createStreamBroker` find it.
 */
import { registerPlugin } from '@frec/core/spi';
import { redisStreamsBroker } from './redis-streams-plugin.js';

registerPlugin(redisStreamsBroker);

export { redisStreamsBroker };
export { redisStreamsConfigSchema, type RedisStreamsConfig } from './redis-streams-config.js';

export { RedisStreamsBroker, brokerUrlOf, type RedisStreamsBrokerOptions } from './redis-streams-broker.js';
export { RedisStreamSubscription, parseGroupInfo } from './redis-stream-subscription.js';
export { RedisPartitionLeases } from './redis-partition-leases.js';
export { streamKeyOf } from './redis-keys.js';
export { RedisAggregateStateStore } from './redis-aggregate-state-store.js';
