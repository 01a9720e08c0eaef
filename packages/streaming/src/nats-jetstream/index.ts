/**
 * The NATS JetStream broker of stream feature views. Importing it registers broker type 'nats', so a
 * stream source with `broker: 'nats'` is consumed by `frec stream` through JetStream.
 */
import { registerPlugin } from '@frec/core/spi';
import { natsJetStreamBroker } from './nats-jetstream-plugin.js';

registerPlugin(natsJetStreamBroker);

export { natsJetStreamBroker };
export { natsJetStreamConfigSchema, type NatsJetStreamConfig } from './nats-jetstream-config.js';
export { NatsJetStreamBroker, connectionOptionsOf, type NatsJetStreamBrokerOptions } from './nats-jetstream-broker.js';
export { NatsStreamSubscription } from './nats-stream-subscription.js';
export { NatsAggregateStateStore } from './nats-aggregate-state-store.js';
export { NatsPartitionLeases } from './nats-partition-leases.js';
export { subjectOf, deadSubjectOf, durableOf } from './nats-names.js';
