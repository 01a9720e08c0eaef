import type { Redis } from 'ioredis';
import { type AggregateState, type AggregateStateStore, type VersionedState, type ViewProgress } from '@frec/core/spi';
import { unlinkPrefix } from './redis-keys.js';

/**
 * Compare-and-set of many states in one script: each key's version must still be the one the
 * worker loaded, so a racing worker's update is never lost and a replay cannot apply twice.
 * KEYS: state hashes; ARGV: per key, the expected version and the new state JSON.
 */
const CAS_LUA = `
local res = {}
for i = 1, #KEYS do
  local cur = tonumber(redis.call('HGET', KEYS[i], 'v') or '0')
  if cur == tonumber(ARGV[2 * i - 1]) then
    redis.call('HSET', KEYS[i], 'v', cur + 1, 's', ARGV[2 * i])
    res[i] = 1
  else
    res[i] = 0
  end
end
return res
`;

/** Loads many states in one script: per key its version and JSON, flattened (false for a field not there). */
const LOAD_LUA = `
local res = {}
for i = 1, #KEYS do
  local r = redis.call('HMGET', KEYS[i], 'v', 's')
  res[2 * i - 1] = r[1]
  res[2 * i] = r[2]
end
return res
`;

/**
 * LOAD_LUA for a caller holding versions (ARGV, one per key; -1: none): a key whose stored version
 * equals the held one returns its version and 0 instead of the state JSON.
 */
const LOAD_CHANGED_LUA = `
local res = {}
for i = 1, #KEYS do
  local v = redis.call('HGET', KEYS[i], 'v')
  res[2 * i - 1] = v
  if v and tonumber(v) == tonumber(ARGV[i]) then
    res[2 * i] = 0
  else
    res[2 * i] = redis.call('HGET', KEYS[i], 's')
  end
end
return res
`;

/** Moves a view's newest-event mark forward only, like the online rows themselves, and stamps the update. */
const PROGRESS_LUA = `
local cur = tonumber(redis.call('HGET', KEYS[1], 'newest') or '-1')
if tonumber(ARGV[1]) > cur then redis.call('HSET', KEYS[1], 'newest', ARGV[1]) end
redis.call('HSET', KEYS[1], 'updated', ARGV[2])
return 1
`;

type CasRedis = Redis & {
  frecStateProgress(numKeys: number, key: string, newest: number, now: number): Promise<number>;
  frecStateCas(numKeys: number, ...args: Array<string | number>): Promise<number[]>;
  frecStateLoad(numKeys: number, ...keys: string[]): Promise<Array<string | null>>;
  frecStateLoadChanged(numKeys: number, ...args: Array<string | number>): Promise<Array<string | number | null>>;
};

/** Keys per script call: keeps one call short so Redis is never stalled. */
const CAS_BATCH = 200;

/** Aggregate states in Redis hashes `{prefix}frec:{project}:agg:{view}:{entity}` with fields v (version) and s (JSON). */
export class RedisAggregateStateStore implements AggregateStateStore {
  constructor(
    private readonly client: Redis,
    private readonly prefix: string,
    private readonly project: string,
  ) {
    if (!(client as unknown as Partial<CasRedis>).frecStateCas) client.defineCommand('frecStateCas', { lua: CAS_LUA });
    if (!(client as unknown as Partial<CasRedis>).frecStateLoad) client.defineCommand('frecStateLoad', { lua: LOAD_LUA });
    if (!(client as unknown as Partial<CasRedis>).frecStateProgress) client.defineCommand('frecStateProgress', { lua: PROGRESS_LUA });
    if (!(client as unknown as Partial<CasRedis>).frecStateLoadChanged)
      client.defineCommand('frecStateLoadChanged', { lua: LOAD_CHANGED_LUA });
  }

  private key(view: string, entity: string): string {
    return `${this.prefix}frec:${this.project}:agg:${view}:${entity}`;
  }

  private progressKey(view: string): string {
    return `${this.prefix}frec:${this.project}:agg-progress:${view}`;
  }

  async load(view: string, keys: readonly string[]): Promise<Array<VersionedState | null>> {
    if (keys.length === 0) return [];
    // One script call per CAS_BATCH keys, not one HMGET command per key: for a 2,000-event batch the
    // per-command objects of the pipeline were most of the worker's ioredis time (docs/profiles/stream-worker.md).
    const c = this.client as CasRedis;
    const parts: Array<Promise<Array<string | null>>> = [];
    for (let s = 0; s < keys.length; s += CAS_BATCH) {
      const part = keys.slice(s, s + CAS_BATCH).map((k) => this.key(view, k));
      parts.push(c.frecStateLoad(part.length, ...part));
    }
    const out: Array<VersionedState | null> = [];
    for (const flat of await Promise.all(parts)) {
      for (let i = 0; i < flat.length; i += 2) {
        const v = flat[i];
        const s = flat[i + 1];
        out.push(v && s ? { version: Number(v), state: JSON.parse(s) as AggregateState } : null);
      }
    }
    return out;
  }

  async loadChanged(view: string, keys: readonly string[], known: readonly number[]): Promise<Array<VersionedState | null | undefined>> {
    if (keys.length === 0) return [];
    const c = this.client as CasRedis;
    const parts: Array<Promise<Array<string | number | null>>> = [];
    for (let s = 0; s < keys.length; s += CAS_BATCH) {
      const end = Math.min(keys.length, s + CAS_BATCH);
      const args: Array<string | number> = [];
      for (let i = s; i < end; i++) args.push(this.key(view, keys[i]!));
      for (let i = s; i < end; i++) args.push(known[i] ?? -1);
      parts.push(c.frecStateLoadChanged(end - s, ...args));
    }
    const out: Array<VersionedState | null | undefined> = [];
    for (const flat of await Promise.all(parts)) {
      for (let i = 0; i < flat.length; i += 2) {
        const v = flat[i];
        const s = flat[i + 1];
        out.push(s === 0 ? undefined : v && typeof s === 'string' ? { version: Number(v), state: JSON.parse(s) as AggregateState } : null);
      }
    }
    return out;
  }

  async save(view: string, entries: ReadonlyArray<{ key: string; json: string; expected: number }>): Promise<boolean[]> {
    const c = this.client as CasRedis;
    const pipe = c.pipeline() as unknown as {
      frecStateCas: CasRedis['frecStateCas'];
      exec(): Promise<Array<[Error | null, unknown]> | null>;
    };
    for (let s = 0; s < entries.length; s += CAS_BATCH) {
      const part = entries.slice(s, s + CAS_BATCH);
      const args: Array<string | number> = part.map((e) => this.key(view, e.key));
      for (const e of part) args.push(e.expected, e.json);
      pipe.frecStateCas(part.length, ...args);
    }
    const out: boolean[] = [];
    for (const [err, r] of (await pipe.exec()) ?? []) {
      if (err) throw err;
      for (const x of r as number[]) out.push(x === 1);
    }
    return out;
  }

  async recordProgress(view: string, newestEventMs: number): Promise<void> {
    const key = this.progressKey(view);
    await (this.client as CasRedis).frecStateProgress(1, key, newestEventMs, Date.now());
  }

  async progress(view: string): Promise<ViewProgress> {
    const [newest, updated] = await this.client.hmget(this.progressKey(view), 'newest', 'updated');
    return { newestEventMs: newest ? Number(newest) : null, updatedAtMs: updated ? Number(updated) : null };
  }

  async clear(view: string): Promise<void> {
    await unlinkPrefix(this.client, this.key(view, ''));
    await this.client.unlink(this.progressKey(view));
  }

  /** The connection belongs to the broker, which closes it. */
  async close(): Promise<void> {}
}
