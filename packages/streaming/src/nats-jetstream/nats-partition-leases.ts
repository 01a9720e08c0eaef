import type { KV } from '@nats-io/kv';
import type { PartitionLeases } from '@frec/core/spi';
import { casPut, liveValue } from './nats-kv.js';
import { token, untoken } from './nats-names.js';

/**
 * Partition leases of one consumer group in a JetStream KV bucket whose TTL is the lease TTL:
 * `l.<group>.<p>` holds the owner, `m.<group>.<member>` marks a live member. The server ages
 * entries out one TTL after their last write, so expiry never depends on a worker's clock;
 * taking a free lease is `create` and renewing is `update` at the revision read, both
 * compare-and-set (ADR 0090).
 */
export class NatsPartitionLeases implements PartitionLeases {
  constructor(
    private readonly bucket: () => Promise<KV>,
    private readonly group: string,
  ) {}

  private leaseKey(p: number): string {
    return `l.${token(this.group)}.${p}`;
  }

  private memberKey(member: string): string {
    return `m.${token(this.group)}.${token(member)}`;
  }

  async heartbeat(member: string): Promise<string[]> {
    const kv = await this.bucket();
    await kv.put(this.memberKey(member), '1');
    const live: string[] = [];
    for await (const k of await kv.keys(`m.${token(this.group)}.*`)) live.push(untoken(k.slice(k.lastIndexOf('.') + 1)));
    return live.sort();
  }

  async acquire(partition: number, member: string): Promise<boolean> {
    const kv = await this.bucket();
    const key = this.leaseKey(partition);
    const e = await kv.get(key);
    const owner = liveValue(e);
    if (owner !== null && owner !== member) return false;
    // Absent or a delete marker: create; ours: update at the revision read, which also restarts its TTL.
    return (await casPut(kv, key, member, owner === null ? null : e!.revision)) !== null;
  }

  async owners(count: number): Promise<Array<string | null>> {
    const kv = await this.bucket();
    return Promise.all(Array.from({ length: count }, async (_, p) => liveValue(await kv.get(this.leaseKey(p)))));
  }

  async release(partition: number, member: string): Promise<void> {
    const kv = await this.bucket();
    const key = this.leaseKey(partition);
    const e = await kv.get(key);
    if (liveValue(e) !== member) return;
    await kv.delete(key, { previousSeq: e!.revision }).catch(() => undefined);
  }

  async leave(member: string): Promise<void> {
    await (await this.bucket()).delete(this.memberKey(member));
  }

  /** The connection belongs to the broker. */
  async close(): Promise<void> {}
}
