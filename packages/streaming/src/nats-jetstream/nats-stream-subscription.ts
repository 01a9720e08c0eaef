import type { Consumer, ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import { ErrorCode, StoreError } from '@frec/core';
import type { StreamLag, StreamMessage, StreamSubscription } from '@frec/core/spi';

/** What a subscription needs of its broker: the shared unacknowledged deliveries, dead-lettering, lag and flushing. */
export interface NatsSubscriptionHost {
  /** Deliveries not yet acknowledged, by `<durable>\u0000<seq>`, shared by every subscription of the broker (any member of a group may ack). */
  readonly held: Map<string, JsMsg>;
  deadLetter(topic: string, partition: number | undefined, message: StreamMessage, reason: string): Promise<void>;
  lag(topic: string, group: string, partition?: number): Promise<StreamLag>;
  flush(): Promise<void>;
}

/** How long a read that found its first message waits for the rest of a burst. */
const LINGER_MS = 3;

/** A message's fields: the JSON object producers publish; anything else becomes one field the worker dead-letters. */
export function decodeFields(data: Uint8Array): Record<string, string> {
  const text = Buffer.from(data).toString('utf8');
  try {
    const o = JSON.parse(text) as unknown;
    if (o && typeof o === 'object' && !Array.isArray(o)) {
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(o)) out[k] = typeof v === 'string' ? v : JSON.stringify(v);
      return out;
    }
  } catch {
    // Not JSON: handed on as it came, so the dead-letter keeps it.
  }
  return { frec_raw: text };
}

/**
 * One member of a consumer group on one subject: a durable pull consumer's `consume()` keeps up to
 * `pull_batch` messages buffered, and `read` hands them out. The message ID is the stream
 * sequence, ordered like Redis Stream IDs. JetStream tracks pending messages per group, not per
 * member: a restarted member's unacknowledged messages come back by redelivery after `ack_wait`,
 * which is also how a dead member's messages are taken over, so `claimStale` has nothing to do.
 */
export class NatsStreamSubscription implements StreamSubscription {
  private readonly buffer: JsMsg[] = [];
  private wake: (() => void) | null = null;
  private messages: ConsumerMessages | null = null;
  private pump: Promise<void> = Promise.resolve();
  private closed = false;
  private ended: Error | null = null;

  constructor(
    private readonly host: NatsSubscriptionHost,
    private readonly consumer: Consumer,
    private readonly durable: string,
    private readonly topic: string,
    private readonly group: string,
    private readonly partition: number | undefined,
    private readonly pullBatch: number,
  ) {}

  async init(): Promise<this> {
    this.messages = await this.consumer.consume({ max_messages: this.pullBatch });
    const messages = this.messages;
    this.pump = (async () => {
      for await (const m of messages) {
        this.buffer.push(m);
        this.wake?.();
      }
    })().then(
      () => void (this.ended ??= new Error('the consumer stopped delivering')),
      (err: unknown) => void (this.ended = err as Error),
    );
    return this;
  }

  async read(options: { count: number; blockMs: number }): Promise<StreamMessage[]> {
    if (this.buffer.length === 0 && this.ended && !this.closed)
      // The worker reports it and subscribes again on its next start; meanwhile nothing is lost (unacknowledged messages are redelivered).
      throw new StoreError(ErrorCode.STREAM_ERROR, `NATS consumer '${this.durable}' stopped: ${this.ended.message}`, {
        where: { broker: 'nats', consumer: this.durable },
        cause: this.ended,
      });
    if (this.buffer.length === 0 && !this.closed) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, options.blockMs);
        function done(): void {
          clearTimeout(t);
          resolve();
        }
        this.wake = done;
      });
      this.wake = null;
      // Messages published together reach the buffer a moment apart: a short linger hands them out as one batch, as one
      // XREADGROUP does on Redis (fewer, larger batches; events of one key at one time folded into one offline row).
      if (this.buffer.length > 0 && this.buffer.length < options.count) await new Promise((r) => setTimeout(r, LINGER_MS));
    }
    const taken = this.buffer.splice(0, options.count);
    return taken.map((m) => {
      const id = String(m.seq);
      this.host.held.set(`${this.durable}\u0000${id}`, m);
      return { id, fields: decodeFields(m.data) };
    });
  }

  async claimStale(): Promise<StreamMessage[]> {
    return [];
  }

  async ack(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    for (const id of ids) {
      const k = `${this.durable}\u0000${id}`;
      const m = this.host.held.get(k);
      // A message this broker never delivered (another process read it) is redelivered and then skipped as a replay.
      if (!m) continue;
      m.ack();
      this.host.held.delete(k);
    }
    // The acks are plain publishes: a round trip makes sure the server has them before the caller goes on.
    await this.host.flush();
  }

  deadLetter(message: StreamMessage, reason: string): Promise<void> {
    return this.host.deadLetter(this.topic, this.partition, message, reason);
  }

  lag(): Promise<StreamLag> {
    return this.host.lag(this.topic, this.group, this.partition);
  }

  /** Stops pulling; buffered messages never handed out are given back at once, handed-out ones stay pending until `ack_wait`. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wake?.();
    await this.messages?.close().catch(() => undefined);
    await this.pump;
    for (const m of this.buffer.splice(0)) m.nak();
    await this.host.flush().catch(() => undefined);
  }
}
