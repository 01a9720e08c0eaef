import type { Redis } from 'ioredis';
import type { PartitionLeases } from '@frec/core/spi';

/** Takes a free lease or renews our own, expiring on the server's clock. KEYS[1]: lease; ARGV: member, ttl ms. */
const ACQUIRE_LUA = `
local cur = redis.call('GET', KEYS[1])
if cur == false or cur == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
`;

/** Frees a lease only if we hold it. */
const RELEASE_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/** Members in a sorted set scored by their expiry on the server's clock; stale ones are dropped on each beat. */
const HEARTBEAT_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], 10 * tonumber(ARGV[2]))
return redis.call('ZRANGE', KEYS[1], 0, -1)
`;

/**
 * Partition leases of one consumer group in Redis: `<prefix>frec:lease:<group>:<p>` holds the
 * owner with a PX expiry, `<prefix>frec:members:<group>` the live members (ADR 0090).
 */
export class RedisPartitionLeases implements PartitionLeases {
  constructor(
    private readonly client: Redis,
    private readonly prefix: string,
    private readonly group: string,
    private readonly ttlMs: number,
  ) {}

  private leaseKey(p: number): string {
    return `${this.prefix}frec:lease:${this.group}:${p}`;
  }

  private get membersKey(): string {
    return `${this.prefix}frec:members:${this.group}`;
  }

  async heartbeat(member: string): Promise<string[]> {
    const live = (await this.client.eval(HEARTBEAT_LUA, 1, this.membersKey, member, this.ttlMs)) as string[];
    return [...live].sort();
  }

  async acquire(partition: number, member: string): Promise<boolean> {
    return (await this.client.eval(ACQUIRE_LUA, 1, this.leaseKey(partition), member, this.ttlMs)) === 1;
  }

  async owners(count: number): Promise<Array<string | null>> {
    if (count === 0) return [];
    return this.client.mget(Array.from({ length: count }, (_, p) => this.leaseKey(p)));
  }

  async release(partition: number, member: string): Promise<void> {
    await this.client.eval(RELEASE_LUA, 1, this.leaseKey(partition), member);
  }

  async leave(member: string): Promise<void> {
    await this.client.zrem(this.membersKey, member);
  }

  /** The connection belongs to the broker. */
  async close(): Promise<void> {}
}
