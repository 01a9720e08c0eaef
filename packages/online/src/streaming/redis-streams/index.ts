/**
 * The Redis Streams broker of stream feature views. Importing it registers broker type 'redis'
 * so `frec stream` and `createStreamBroker` find it.
 */
import { registerStreamBroker } from '@frec/core';
import { brokerUrlOf, RedisStreamsBroker } from './redis-streams-broker.js';

registerStreamBroker(
  'redis',
  (config, options) =>
    new RedisStreamsBroker({
      url: brokerUrlOf(config, options?.url),
      keyPrefix: config.online_store.type === 'redis' ? config.online_store.key_prefix : '',
    }),
);

export { RedisStreamsBroker, brokerUrlOf, type RedisStreamsBrokerOptions } from './redis-streams-broker.js';
export { RedisStreamSubscription, parseGroupInfo } from './redis-stream-subscription.js';
export { RedisAggregateStateStore } from './redis-aggregate-state-store.js';
