import type { FeatureViewSpec } from '../definitions/specs.js';
import type { AggregateState } from './aggregate-state.js';

/**
 * The broker contract of the stream worker, filled by Redis Streams (`@frec/streaming/redis-streams`)
 * and NATS JetStream (`@frec/streaming/nats-jetstream`). A topic has one or more partitions (ADR 0090):
 * `partition` undefined is the unpartitioned topic, today's single stream.
 */

/** One message of a stream: its broker ID (ordered) and its fields. */
export interface StreamMessage {
  id: string;
  fields: Record<string, string>;
}

/** Consumer lag of a group on one stream. */
export interface StreamLag {
  /** Messages delivered to a consumer but not yet acknowledged. */
  pending: number;
  /** Messages in the stream not yet delivered to the group (null when the broker cannot tell). */
  undelivered: number | null;
  /** Newest message ID of the stream, or null when empty. */
  lastId: string | null;
  /** When the oldest message not yet acknowledged by the group was appended (epoch ms); null when none is, or the broker cannot tell. */
  oldestUnackedMs?: number | null;
}

/** A consumer's subscription to one topic in one consumer group. */
export interface StreamSubscription {
  /** This consumer's own pending messages first (after a restart), then new ones, waiting up to `blockMs`. */
  read(options: { count: number; blockMs: number }): Promise<StreamMessage[]>;
  /** Takes over messages another consumer has held unacknowledged for `minIdleMs` (a dead worker's). */
  claimStale(options: { minIdleMs: number; count: number }): Promise<StreamMessage[]>;
  /** Acknowledges processed messages; only call after their effects are durable. */
  ack(ids: readonly string[]): Promise<void>;
  /** Parks a message that cannot be processed (a malformed event) where an operator can inspect it. */
  deadLetter(message: StreamMessage, reason: string): Promise<void>;
  lag(): Promise<StreamLag>;
  close(): Promise<void>;
}

/** A loaded per-entity state and the version a conditional save must match. */
export interface VersionedState {
  state: AggregateState;
  version: number;
}

/** Per-view freshness bookkeeping that the worker keeps beside the state. */
export interface ViewProgress {
  /** Newest event time written online (epoch ms). */
  newestEventMs: number | null;
  /** When the worker last wrote (epoch ms). */
  updatedAtMs: number | null;
}

/**
 * Keeps per-entity aggregate states durably. `save` is a compare-and-set per key, so two workers
 * racing on one entity cannot lose an update and a replay cannot apply an event twice.
 */
export interface AggregateStateStore {
  load(view: string, keys: readonly string[]): Promise<Array<VersionedState | null>>;
  /**
   * Optional: `load` for a caller that already holds a version of each state. Per key, `undefined`
   * when the stored version still equals `known[i]` (the state itself is not sent or parsed), else
   * what `load` returns. A worker that keeps states between batches checks them this way.
   */
  loadChanged?(view: string, keys: readonly string[], known: readonly number[]): Promise<Array<VersionedState | null | undefined>>;
  /** Saves each state (serialized with JSON.stringify) if its stored version still equals `expected` (0: absent); returns which were saved. */
  save(view: string, entries: ReadonlyArray<{ key: string; json: string; expected: number }>): Promise<boolean[]>;
  recordProgress(view: string, newestEventMs: number): Promise<void>;
  progress(view: string): Promise<ViewProgress>;
  /** Removes every state of a view (tests, teardown). */
  clear(view: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Exclusive, expiring ownership of a partitioned topic's partitions by the members of one consumer
 * group (ADR 0090). Expiry is the broker's clock, so a member that dies loses its partitions after
 * the TTL given to `StreamBroker.leases`.
 */
export interface PartitionLeases {
  /** Announces `member` alive for one TTL and returns the live members, sorted. */
  heartbeat(member: string): Promise<string[]>;
  /** Takes `partition` if it is free, or renews it if `member` holds it; true when `member` holds it afterwards. */
  acquire(partition: number, member: string): Promise<boolean>;
  /** The holder of each of partitions 0..count-1 (null: free). */
  owners(count: number): Promise<Array<string | null>>;
  /** Frees `partition` if `member` holds it. */
  release(partition: number, member: string): Promise<void>;
  /** Removes `member` from the live members at once (a graceful stop). */
  leave(member: string): Promise<void>;
  close(): Promise<void>;
}

/** A broker implementation: subscriptions, publishing (tests, benchmarks, producers) and the state store it pairs with. */
export interface StreamBroker {
  readonly type: string;
  subscribe(options: { topic: string; group: string; consumer: string; partition?: number }): Promise<StreamSubscription>;
  /** Appends events to a topic, or to one of its partitions; returns their message IDs. */
  publish(topic: string, events: ReadonlyArray<Record<string, unknown>>, options?: { partition?: number }): Promise<string[]>;
  stateStore(project: string): AggregateStateStore;
  /** The partition leases of one consumer group; `ttlMs` is how long a lease or membership lasts unrenewed. */
  leases(group: string, ttlMs: number): PartitionLeases;
  /** The group's lag on a topic (or one partition of it), without joining it. */
  lag(topic: string, group: string, partition?: number): Promise<StreamLag>;
  close(): Promise<void>;
}

/** The consumer group a view's worker uses (one group per view, so views progress independently). */
export function groupOf(project: string, view: FeatureViewSpec): string {
  return `frec:${project}:${view.name}`;
}
