import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { StreamBroker } from '@frec/core/spi';
import { deleteKeysWithPrefix } from '@frec/online/testing';
import { RedisStreamsBroker } from '../../src/redis-streams/index.js';
import { NatsJetStreamBroker, natsJetStreamConfigSchema } from '../../src/nats-jetstream/index.js';
import { deadLettersOf, NATS_URL, REDIS_URL } from '../streaming-fixture.js';

/** One broker under test, opened with names unique to this run. */
export interface OpenedBroker {
  broker: StreamBroker;
  /** A second, independent connection to the same broker (another process, as far as the server can tell). */
  second(): Promise<StreamBroker>;
  /** A topic name unique to this run. */
  topic(name: string): string;
  /** How long a message must stay unacknowledged before another member can take it. */
  claimIdleMs: number;
  /** The dead-lettered messages of a topic (partition), read with the broker's own client, oldest first. */
  deadLetters(topic: string, partition?: number): Promise<Array<Record<string, string>>>;
  /** Deletes everything this run created. */
  drop(): Promise<void>;
}

/** How to open one registered broker type for the conformance suite. */
export interface BrokerKit {
  type: string;
  open(): Promise<OpenedBroker>;
}

const redisKit: BrokerKit = {
  type: 'redis',
  async open() {
    const prefix = `frec-conf-${randomUUID().slice(0, 8)}:`;
    const opened: StreamBroker[] = [];
    const make = (): StreamBroker => {
      const b = new RedisStreamsBroker({ url: REDIS_URL, keyPrefix: prefix });
      opened.push(b);
      return b;
    };
    const raw = new Redis(REDIS_URL);
    return {
      broker: make(),
      second: async () => make(),
      topic: (name) => `${prefix}${name}`,
      claimIdleMs: 200,
      deadLetters: (topic, partition) => deadLettersOf(opened[0]!, topic, partition),
      async drop() {
        await Promise.all(opened.map((b) => b.close()));
        // Topics, dead-letter streams, states and leases all start with the prefix (partition keys after a '{').
        await deleteKeysWithPrefix(raw, prefix);
        await deleteKeysWithPrefix(raw, `{${prefix}`);
        raw.disconnect();
      },
    };
  },
};

const natsKit: BrokerKit = {
  type: 'nats',
  async open() {
    const id = randomUUID().slice(0, 8);
    const options = natsJetStreamConfigSchema.parse({
      type: 'nats',
      servers: NATS_URL,
      stream: `FRECCONF_${id}`,
      subject_prefix: `frecconf-${id}`,
      state_bucket: `frecconf_${id}_state`,
      lease_bucket: `frecconf_${id}_leases`,
      ack_wait_ms: 1000,
      storage: 'memory',
    });
    const opened: NatsJetStreamBroker[] = [];
    const make = async (): Promise<NatsJetStreamBroker> => {
      const b = await NatsJetStreamBroker.connect(options);
      opened.push(b);
      return b;
    };
    const broker = await make();
    return {
      broker,
      second: make,
      topic: (name) => `conf:${name}`,
      claimIdleMs: 0,
      deadLetters: (topic, partition) => deadLettersOf(broker, topic, partition),
      async drop() {
        await broker.destroy();
        await Promise.all(opened.map((b) => b.close()));
      },
    };
  },
};

/** Every registered broker implementation; a new broker adds its kit here and passes the same suite. */
export const BROKER_KITS: readonly BrokerKit[] = [redisKit, natsKit];
