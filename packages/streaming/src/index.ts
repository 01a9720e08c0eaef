/**
 * @frec/streaming: the stream brokers of stream feature views, each in its own entry that registers
 * it when imported (`@frec/streaming/redis-streams` is broker 'redis', `@frec/streaming/nats-jetstream`
 * is broker 'nats'), and the producer side shared by both: routing an event to its partition.
 */
export { publishByKey } from './producer/publish-by-key.js';
export { partitionOf, partitionOfEvent, partitionsOf } from '@frec/core/spi';
