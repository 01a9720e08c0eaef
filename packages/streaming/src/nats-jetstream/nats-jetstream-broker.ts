import { readFileSync } from 'node:fs';
import { connect, credsAuthenticator, type ConnectionOptions, type NatsConnection } from '@nats-io/transport-node';
import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  StorageType,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { ErrorCode, StoreError } from '@frec/core';
import type { AggregateStateStore, PartitionLeases, StreamBroker, StreamLag, StreamMessage, StreamSubscription } from '@frec/core/spi';
import type { NatsJetStreamConfig } from './nats-jetstream-config.js';
import { NatsAggregateStateStore } from './nats-aggregate-state-store.js';
import { NatsPartitionLeases } from './nats-partition-leases.js';
import { deadSubjectOf, durableOf, subjectOf } from './nats-names.js';
import { NatsStreamSubscription, type NatsSubscriptionHost } from './nats-stream-subscription.js';

/** Options of the NATS JetStream broker: the parsed `brokers.nats` section (defaults filled). */
export type NatsJetStreamBrokerOptions = Omit<NatsJetStreamConfig, 'type' | 'url'>;

const NS_PER_MS = 1_000_000;

/** A field value as this broker carries it: text, like Redis Streams fields, so the worker parses both alike. */
function encodeField(v: unknown): string {
  if (v instanceof Date) return String(v.getTime());
  if (Array.isArray(v)) return JSON.stringify(v);
  if (v === null || v === undefined) return '';
  return String(v);
}

function isNotFound(err: unknown): boolean {
  const code = (err as { code?: number }).code;
  return code === 10059 || code === 10014 || code === 10037 || /not found/i.test(String((err as Error)?.message));
}

/** The connection options of a config: servers, a name for `nats server report connections`, and credentials. */
export function connectionOptionsOf(config: NatsJetStreamBrokerOptions, name = 'frec'): ConnectionOptions {
  const c = config.credentials;
  return {
    servers: config.servers ?? process.env.FREC_STREAM_NATS_URL ?? 'nats://127.0.0.1:4222',
    name,
    maxReconnectAttempts: -1,
    ...(c?.creds_file ? { authenticator: credsAuthenticator(readFileSync(c.creds_file)) } : {}),
    ...(c?.token ? { token: c.token } : {}),
    ...(c?.user ? { user: c.user, pass: c.password ?? '' } : {}),
  };
}

/**
 * NATS JetStream as the stream broker (ADR 0091): one JetStream stream holds every topic as
 * subjects `<prefix>.<topic>[.p<partition>]`; a consumer group is a durable pull consumer per
 * subject; acknowledgement is explicit; a message not acknowledged within `ack_wait` is
 * redelivered (the claim of a dead member's messages); malformed events go to
 * `<prefix>._DLQ.<topic>`; aggregate states and partition leases live in JetStream KV buckets.
 * @example
 * const broker = await NatsJetStreamBroker.connect({ ...defaults, servers: 'nats://127.0.0.1:4222' });
 * await broker.publish('interactions', [{ user_id: 1, item_id: 42, ts: Date.now() }]);
 */
export class NatsJetStreamBroker implements StreamBroker, NatsSubscriptionHost {
  readonly type = 'nats';
  readonly held = new Map<string, JsMsg>();
  private readonly js: JetStreamClient;
  private readonly kvm: Kvm;
  private readonly subscriptions = new Set<NatsStreamSubscription>();
  private streamReady: Promise<void> | null = null;
  private stateKv: Promise<KV> | null = null;
  private leaseKv: { ttlMs: number; kv: Promise<KV> } | null = null;

  private constructor(
    readonly options: NatsJetStreamBrokerOptions,
    private readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
  ) {
    this.js = jetstream(nc);
    this.kvm = new Kvm(nc);
  }

  /** Connects to the servers of `options`. */
  static async connect(options: NatsJetStreamBrokerOptions): Promise<NatsJetStreamBroker> {
    let nc: NatsConnection;
    try {
      nc = await connect(connectionOptionsOf(options));
    } catch (err) {
      throw new StoreError(
        ErrorCode.STREAM_ERROR,
        `Could not connect to NATS at ${String(options.servers ?? 'nats://127.0.0.1:4222')}: ${(err as Error).message}`,
        {
          where: { broker: 'nats' },
          hint: 'Start nats-server with JetStream (-js), or set brokers.nats.servers in feature_store.yaml.',
          cause: err,
        },
      );
    }
    return new NatsJetStreamBroker(options, nc, await jetstreamManager(nc));
  }

  /** Creates the stream unless it exists; an existing stream must capture `<prefix>.>`. */
  private ensureStream(): Promise<void> {
    this.streamReady ??= (async () => {
      const { stream, subject_prefix: prefix } = this.options;
      try {
        const info = await this.jsm.streams.info(stream);
        if (!info.config.subjects?.includes(`${prefix}.>`))
          throw new StoreError(
            ErrorCode.STREAM_ERROR,
            `JetStream stream '${stream}' exists but does not capture '${prefix}.>' (its subjects: ${(info.config.subjects ?? []).join(', ')}).`,
            { where: { broker: 'nats', stream }, hint: 'Choose another brokers.nats.stream or subject_prefix.' },
          );
      } catch (err) {
        if (err instanceof StoreError || !isNotFound(err)) throw err;
        await this.jsm.streams.add({
          name: stream,
          subjects: [`${prefix}.>`],
          storage: this.options.storage === 'memory' ? StorageType.Memory : StorageType.File,
          num_replicas: this.options.replicas,
        });
      }
    })().catch((err) => {
      this.streamReady = null;
      throw err;
    });
    return this.streamReady;
  }

  /** The durable pull consumer of a group on a subject, created when absent (or brought to this config's timings). */
  private async ensureConsumer(topic: string, group: string, partition: number | undefined): Promise<string> {
    await this.ensureStream();
    const durable = durableOf(group, partition);
    const subject = subjectOf(this.options.subject_prefix, topic, partition);
    const config = {
      ack_wait: this.options.ack_wait_ms * NS_PER_MS,
      max_deliver: this.options.max_deliver,
      max_ack_pending: this.options.max_ack_pending,
    };
    try {
      const info = await this.jsm.consumers.info(this.options.stream, durable);
      if (info.config.filter_subject !== subject)
        throw new StoreError(
          ErrorCode.STREAM_ERROR,
          `Consumer group '${group}' already consumes '${info.config.filter_subject}' on stream '${this.options.stream}', not '${subject}'.`,
          { where: { broker: 'nats', stream: this.options.stream }, hint: 'Use one consumer group per topic.' },
        );
      if (info.config.ack_wait !== config.ack_wait || info.config.max_deliver !== config.max_deliver)
        await this.jsm.consumers.update(this.options.stream, durable, config);
    } catch (err) {
      if (err instanceof StoreError || !isNotFound(err)) throw err;
      await this.jsm.consumers.add(this.options.stream, {
        durable_name: durable,
        filter_subject: subject,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        ...config,
      });
    }
    return durable;
  }

  async subscribe(o: { topic: string; group: string; consumer: string; partition?: number }): Promise<StreamSubscription> {
    const durable = await this.ensureConsumer(o.topic, o.group, o.partition);
    const consumer = await this.js.consumers.get(this.options.stream, durable);
    const sub = await new NatsStreamSubscription(this, consumer, durable, o.topic, o.group, o.partition, this.options.pull_batch).init();
    this.subscriptions.add(sub);
    return sub;
  }

  async publish(topic: string, events: ReadonlyArray<Record<string, unknown>>, options: { partition?: number } = {}): Promise<string[]> {
    if (events.length === 0) return [];
    await this.ensureStream();
    const subject = subjectOf(this.options.subject_prefix, topic, options.partition);
    const ids: string[] = [];
    // In chunks: each publish waits for the stream's acknowledgement, and a chunk keeps that many in flight.
    for (let s = 0; s < events.length; s += 1000) {
      const acks = await Promise.all(
        events
          .slice(s, s + 1000)
          .map((e) => this.js.publish(subject, JSON.stringify(Object.fromEntries(Object.entries(e).map(([k, v]) => [k, encodeField(v)]))))),
      );
      for (const a of acks) ids.push(String(a.seq));
    }
    return ids;
  }

  async deadLetter(topic: string, partition: number | undefined, message: StreamMessage, reason: string): Promise<void> {
    await this.js.publish(
      deadSubjectOf(this.options.subject_prefix, topic, partition),
      JSON.stringify({ frec_id: message.id, frec_reason: reason, ...message.fields }),
    );
  }

  private stateBucket(): Promise<KV> {
    this.stateKv ??= this.kvm
      .create(this.options.state_bucket, {
        history: 1,
        replicas: this.options.replicas,
        storage: this.options.storage === 'memory' ? StorageType.Memory : StorageType.File,
      })
      .catch((err) => {
        this.stateKv = null;
        throw err;
      });
    return this.stateKv;
  }

  stateStore(project: string): AggregateStateStore {
    return new NatsAggregateStateStore(() => this.stateBucket(), project);
  }

  /** The lease bucket: its TTL is the lease TTL, so every worker of a deployment must use the same one. */
  private leaseBucket(ttlMs: number): Promise<KV> {
    if (this.leaseKv && this.leaseKv.ttlMs !== ttlMs)
      throw new StoreError(
        ErrorCode.STREAM_ERROR,
        `NATS lease bucket opened with a TTL of ${this.leaseKv.ttlMs} ms, then asked for ${ttlMs} ms.`,
        {
          where: { broker: 'nats', bucket: this.options.lease_bucket },
        },
      );
    if (!this.leaseKv) {
      const kv = this.kvm.create(this.options.lease_bucket, { history: 1, ttl: ttlMs, replicas: this.options.replicas }).then(async (b) => {
        const have = (await b.status()).ttl;
        if (have !== ttlMs)
          throw new StoreError(
            ErrorCode.STREAM_ERROR,
            `NATS KV bucket '${this.options.lease_bucket}' has a TTL of ${have} ms, but this worker's lease is ${ttlMs} ms.`,
            {
              where: { broker: 'nats', bucket: this.options.lease_bucket },
              hint: 'Give every worker of a group the same --lease-ms, or delete the bucket (`nats kv del`) when none runs.',
            },
          );
        return b;
      });
      this.leaseKv = { ttlMs, kv };
      kv.catch(() => (this.leaseKv = null));
    }
    return this.leaseKv.kv;
  }

  leases(group: string, ttlMs: number): PartitionLeases {
    return new NatsPartitionLeases(() => this.leaseBucket(ttlMs), group);
  }

  /** Lag from the durable's info: num_pending (not yet delivered) and num_ack_pending (delivered, unacknowledged). */
  async lag(topic: string, group: string, partition?: number): Promise<StreamLag> {
    const { stream, subject_prefix: prefix } = this.options;
    const subject = subjectOf(prefix, topic, partition);
    // STREAM.MSG.GET takes next_by_subj beside seq (the client's type lists only seq).
    const msg = async (q: { seq: number; next_by_subj: string } | { last_by_subj: string }) => {
      try {
        return await this.jsm.streams.getMessage(stream, q);
      } catch (err) {
        if (isNotFound(err)) return null;
        throw err;
      }
    };
    let info;
    try {
      info = await this.jsm.consumers.info(stream, durableOf(group, partition));
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    const last = await msg({ last_by_subj: subject });
    if (!info) {
      // No group yet: nothing was consumed, so every message of the subject is behind.
      if (!last) return { pending: 0, undelivered: 0, lastId: null, oldestUnackedMs: null };
      const s = await this.jsm.streams.info(stream, { subjects_filter: subject });
      const first = await msg({ seq: 1, next_by_subj: subject });
      return {
        pending: 0,
        undelivered: s.state.subjects?.[subject] ?? 0,
        lastId: String(last.seq),
        oldestUnackedMs: first ? first.time.getTime() : null,
      };
    }
    const behind = info.num_pending + info.num_ack_pending > 0;
    // Everything at or below the ack floor is acknowledged, so the subject's next message after it is the oldest that is not.
    const oldest = behind ? await msg({ seq: info.ack_floor.stream_seq + 1, next_by_subj: subject }) : null;
    return {
      pending: info.num_ack_pending,
      undelivered: info.num_pending,
      lastId: last ? String(last.seq) : null,
      oldestUnackedMs: oldest ? oldest.time.getTime() : null,
    };
  }

  async flush(): Promise<void> {
    await this.nc.flush();
  }

  /** Deletes the stream and both KV buckets of this config (tests, teardown). */
  async destroy(): Promise<void> {
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    for (const name of [this.options.stream, `KV_${this.options.state_bucket}`, `KV_${this.options.lease_bucket}`])
      await this.jsm.streams.delete(name).catch((err) => {
        if (!isNotFound(err)) throw err;
      });
    this.streamReady = null;
    this.stateKv = null;
    this.leaseKv = null;
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    this.subscriptions.clear();
    await this.nc.close();
  }
}
