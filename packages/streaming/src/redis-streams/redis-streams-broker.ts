import { Redis } from 'ioredis';
import { type RepoConfig } from '@frec/core';
import { type AggregateStateStore, type PartitionLeases, type StreamBroker, type StreamLag, type StreamSubscription } from '@frec/core/spi';
import { RedisAggregateStateStore } from './redis-aggregate-state-store.js';
import { deadKeyOf, streamKeyOf } from './redis-keys.js';
import { RedisPartitionLeases } from './redis-partition-leases.js';
import { RedisStreamSubscription, streamLag } from './redis-stream-subscription.js';

/** Options of the Redis Streams broker. */
export interface RedisStreamsBrokerOptions {
  /** redis:// URL of the broker (a single node; partition keys carry hash tags for a later cluster mode). */
  url: string;
  /** Prefix of the state keys (the online store's key_prefix). */
  keyPrefix?: string;
}

/** A field value as Redis Streams carries it: text, times as epoch milliseconds, arrays as JSON. */
function encodeField(v: unknown): string {
  if (v instanceof Date) return String(v.getTime());
  if (Array.isArray(v)) return JSON.stringify(v);
  if (v === null || v === undefined) return '';
  return String(v);
}

/**
 * Redis Streams as the stream broker (ADR 0030): a consumer group per view, XREADGROUP/XACK,
 * XAUTOCLAIM for a dead consumer's entries, and aggregate state in the same Redis.
 * @example
 * const broker = new RedisStreamsBroker({ url: 'redis://127.0.0.1:6379' });
 * await broker.publish('interactions', [{ user_id: 1, item_id: 42, ts: Date.now() }]);
 */
export class RedisStreamsBroker implements StreamBroker {
  readonly type = 'redis';
  private readonly client: Redis;
  private readonly subscriptions = new Set<RedisStreamSubscription>();

  constructor(readonly options: RedisStreamsBrokerOptions) {
    this.client = this.connect();
  }

  private connect(): Redis {
    const c = new Redis(this.options.url, { maxRetriesPerRequest: 3, enableAutoPipelining: true, lazyConnect: false });
    // Reconnects are retried by ioredis; without a listener it would print each failure.
    c.on('error', () => undefined);
    return c;
  }

  async subscribe(o: { topic: string; group: string; consumer: string; partition?: number }): Promise<StreamSubscription> {
    const sub = await new RedisStreamSubscription(this.connect(), streamKeyOf(o.topic, o.partition), o.group, o.consumer).init();
    this.subscriptions.add(sub);
    return sub;
  }

  async publish(topic: string, events: ReadonlyArray<Record<string, unknown>>, options: { partition?: number } = {}): Promise<string[]> {
    if (events.length === 0) return [];
    const key = streamKeyOf(topic, options.partition);
    const pipe = this.client.pipeline();
    for (const e of events) pipe.xadd(key, '*', ...Object.entries(e).flatMap(([k, v]) => [k, encodeField(v)]));
    return ((await pipe.exec()) ?? []).map(([err, id]) => {
      if (err) throw err;
      return String(id);
    });
  }

  stateStore(project: string): AggregateStateStore {
    return new RedisAggregateStateStore(this.client, this.options.keyPrefix ?? '', project);
  }

  leases(group: string, ttlMs: number): PartitionLeases {
    return new RedisPartitionLeases(this.client, this.options.keyPrefix ?? '', group, ttlMs);
  }

  lag(topic: string, group: string, partition?: number): Promise<StreamLag> {
    return streamLag(this.client, streamKeyOf(topic, partition), group);
  }

  /** Deletes a topic's streams (every partition of `partitions`), their dead-letter streams and groups (tests, teardown). */
  async deleteTopic(topic: string, partitions = 1): Promise<void> {
    const keys = partitions <= 1 ? [topic] : Array.from({ length: partitions }, (_, p) => streamKeyOf(topic, p));
    for (const k of keys) await this.client.unlink(k, deadKeyOf(k));
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    this.client.disconnect();
  }
}

/** The broker URL: FREC_STREAM_REDIS_URL, else the online store's Redis, else the local default. */
export function brokerUrlOf(config: RepoConfig, url?: string): string {
  if (url) return url;
  if (process.env.FREC_STREAM_REDIS_URL) return process.env.FREC_STREAM_REDIS_URL;
  const online = config.online_store;
  if (online.type === 'redis' && online.cluster !== true)
    return String(online.connection_string ?? 'redis://127.0.0.1:6379').split(',')[0]!;
  return 'redis://127.0.0.1:6379';
}
