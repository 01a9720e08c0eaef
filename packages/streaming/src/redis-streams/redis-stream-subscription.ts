import type { Redis } from 'ioredis';
import { ErrorCode, StoreError } from '@frec/core';
import { type StreamLag, type StreamMessage, type StreamSubscription } from '@frec/core/spi';
import { deadKeyOf } from './redis-keys.js';

type RawEntry = [string, string[] | null];

/** Turns XREADGROUP / XAUTOCLAIM entries into messages; entries trimmed from the stream come back with null fields. */
function toMessages(entries: readonly RawEntry[]): { messages: StreamMessage[]; gone: string[] } {
  const messages: StreamMessage[] = [];
  const gone: string[] = [];
  for (const [id, flat] of entries) {
    if (!flat) {
      gone.push(id);
      continue;
    }
    const fields: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
    messages.push({ id, fields });
  }
  return { messages, gone };
}

/** Parses the flat reply of XINFO GROUPS into the named group's lag and last delivered ID. */
export function parseGroupInfo(reply: unknown, group: string): (StreamLag & { lastDeliveredId: string }) | null {
  for (const g of (reply as unknown[][]) ?? []) {
    const o: Record<string, unknown> = {};
    for (let i = 0; i + 1 < g.length; i += 2) o[String(g[i])] = g[i + 1];
    if (o.name === group) {
      return {
        pending: Number(o.pending ?? 0),
        undelivered: o.lag === null || o.lag === undefined ? null : Number(o.lag),
        lastId: null,
        lastDeliveredId: String(o['last-delivered-id'] ?? '0-0'),
      };
    }
  }
  return null;
}

/** The append time of a stream ID ('<ms>-<seq>'). */
const msOf = (id: string): number => Number(id.split('-')[0]);

/**
 * A group's lag on one stream key: XINFO GROUPS for the counts; the oldest unacknowledged message
 * is the oldest pending entry, else the first one after the group's last delivered ID.
 */
export async function streamLag(client: Redis, key: string, group: string): Promise<StreamLag> {
  if (!(await client.exists(key))) return { pending: 0, undelivered: 0, lastId: null, oldestUnackedMs: null };
  const info = parseGroupInfo(await client.xinfo('GROUPS', key), group);
  const last = (await client.xrevrange(key, '+', '-', 'COUNT', 1))[0]?.[0] ?? null;
  // No group yet: nothing was consumed, so the whole stream is behind.
  if (!info) {
    const first = (await client.xrange(key, '-', '+', 'COUNT', 1))[0]?.[0];
    return { pending: 0, undelivered: await client.xlen(key), lastId: last, oldestUnackedMs: first ? msOf(first) : null };
  }
  let oldest: string | undefined;
  if (info.pending > 0) oldest = ((await client.xpending(key, group)) as [number, string | null])[1] ?? undefined;
  else if (info.undelivered !== 0) oldest = (await client.xrange(key, `(${info.lastDeliveredId}`, '+', 'COUNT', 1))[0]?.[0];
  return { pending: info.pending, undelivered: info.undelivered, lastId: last, oldestUnackedMs: oldest ? msOf(oldest) : null };
}

/**
 * One consumer of a Redis Streams consumer group on one stream key (a topic, or one partition of
 * it). It owns its connection because XREADGROUP BLOCK holds it. After a restart it first re-reads
 * its own pending entries (ID 0), then new ones ('>').
 */
export class RedisStreamSubscription implements StreamSubscription {
  private readingOwnPending = true;
  /** Where the next read of our own pending entries starts: they stay pending until acknowledged, so re-reading from 0 would return them again. */
  private pendingCursor = '0';
  private claimCursor = '0-0';

  constructor(
    private readonly client: Redis,
    private readonly topic: string,
    private readonly group: string,
    private readonly consumer: string,
  ) {}

  /** Creates the group (reading the stream from its start) unless it exists. */
  async init(): Promise<this> {
    try {
      await this.client.xgroup('CREATE', this.topic, this.group, '0', 'MKSTREAM');
    } catch (err) {
      if (!String((err as Error).message).includes('BUSYGROUP')) {
        throw new StoreError(
          ErrorCode.STREAM_ERROR,
          `Could not create consumer group '${this.group}' on stream '${this.topic}': ${(err as Error).message}`,
          {
            where: { stream: this.topic },
            cause: err,
          },
        );
      }
    }
    return this;
  }

  async read(options: { count: number; blockMs: number }): Promise<StreamMessage[]> {
    for (;;) {
      const own = this.readingOwnPending;
      const args: Array<string | number> = ['GROUP', this.group, this.consumer, 'COUNT', options.count];
      if (!own) args.push('BLOCK', options.blockMs);
      args.push('STREAMS', this.topic, own ? this.pendingCursor : '>');
      const reply = (await (this.client as unknown as { xreadgroup(...a: Array<string | number>): Promise<unknown> }).xreadgroup(
        ...args,
      )) as Array<[string, RawEntry[]]> | null;
      const entries = reply?.[0]?.[1] ?? [];
      if (own && entries.length > 0) this.pendingCursor = entries[entries.length - 1]![0];
      const { messages, gone } = toMessages(entries);
      if (gone.length > 0) await this.ack(gone);
      if (own && entries.length === 0) {
        this.readingOwnPending = false;
        continue;
      }
      if (own && messages.length === 0) continue;
      return messages;
    }
  }

  async claimStale(options: { minIdleMs: number; count: number }): Promise<StreamMessage[]> {
    const reply = (await this.client.xautoclaim(
      this.topic,
      this.group,
      this.consumer,
      options.minIdleMs,
      this.claimCursor,
      'COUNT',
      options.count,
    )) as unknown as [string, RawEntry[], string[]?];
    this.claimCursor = reply[0] ?? '0-0';
    const { messages, gone } = toMessages(reply[1] ?? []);
    const deleted = [...gone, ...(reply[2] ?? [])];
    if (deleted.length > 0) await this.ack(deleted);
    return messages;
  }

  async ack(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.client.xack(this.topic, this.group, ...ids);
  }

  async deadLetter(message: StreamMessage, reason: string): Promise<void> {
    const flat = Object.entries(message.fields).flat();
    await this.client.xadd(deadKeyOf(this.topic), 'MAXLEN', '~', 10000, '*', 'frec_id', message.id, 'frec_reason', reason, ...flat);
  }

  lag(): Promise<StreamLag> {
    return streamLag(this.client, this.topic, this.group);
  }

  async close(): Promise<void> {
    this.client.disconnect();
  }
}
