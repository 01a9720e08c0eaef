import { definePlugin } from '@frec/core/spi';
import { natsJetStreamConfigSchema } from './nats-jetstream-config.js';
import { NatsJetStreamBroker } from './nats-jetstream-broker.js';

/** Stream broker `nats`: JetStream durable pull consumers, aggregate states and partition leases in JetStream KV. */
export const natsJetStreamBroker = definePlugin({
  kind: 'streamBroker',
  type: 'nats',
  description: 'NATS JetStream durable pull consumers, state in JetStream KV',
  configSchema: natsJetStreamConfigSchema,
  create: ({ type: _type, url, servers, ...rest }) =>
    NatsJetStreamBroker.connect({ ...rest, ...((url ?? servers) ? { servers: url ?? servers } : {}) }),
});
