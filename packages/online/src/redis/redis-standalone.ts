import { Redis } from 'ioredis';
import type { RedisBackend } from './redis-backend.js';
import { mgetFramed } from './redis-mget-frame.js';
import { EVENT_TIME_OFFSET } from '../codec/row-codec.js';
import { CONDITIONAL_SET_LUA, WRITE_BATCH } from './redis-write-script.js';

type ScriptedRedis = Redis & {
  frecConditionalSet(numKeys: number, ...args: Array<string | Buffer | number>): Promise<number>;
};

/** Share of a write's keys found already stored above which the next writes go straight to the script. */
const MOSTLY_EXISTING = 0.5;
/** While writes go straight to the script, one in this many probes with SET NX again. */
const PROBE_EVERY = 8;

/**
 * A standalone Redis: one MGET per read; a write first tries a plain pipelined `SET NX` per key
 * (a key that does not exist has nothing newer to protect, ADR 0022) and sends only the keys that
 * already exist through the conditional script, in pipelined EVALSHA batches. The script costs
 * Redis about 2.5x a plain SET per key; a first materialization then costs it what raw SETs do.
 * When most keys of the last write existed (an incremental run, a stream), the SET NX round is
 * pure overhead, so writes go straight to the script, probing now and then.
 */
export class RedisStandalone implements RedisBackend {
  private existingShare = 0;
  private writes = 0;

  constructor(readonly client: Redis) {
    client.defineCommand('frecConditionalSet', { lua: CONDITIONAL_SET_LUA });
  }

  getMany(keys: readonly string[], frames?: readonly Buffer[]): Promise<Array<Buffer | null>> {
    if (keys.length === 0) return Promise.resolve([]);
    if (frames) return mgetFramed(this.client, keys, frames);
    return this.client.mgetBuffer(keys as string[]);
  }

  async conditionalSet(keys: readonly string[], rows: readonly Buffer[], expireAtMs: readonly number[]): Promise<number> {
    this.writes++;
    if (this.existingShare > MOSTLY_EXISTING && this.writes % PROBE_EVERY !== 0) return this.scripted(keys, rows, expireAtMs);
    const pipe = this.client.pipeline() as unknown as {
      set(...args: Array<string | Buffer | number>): unknown;
      exec(): Promise<Array<[Error | null, unknown]> | null>;
    };
    for (let i = 0; i < keys.length; i++) {
      const exp = expireAtMs[i]!;
      if (exp > 0) pipe.set(keys[i]!, rows[i]!, 'PXAT', exp, 'NX');
      else pipe.set(keys[i]!, rows[i]!, 'NX');
    }
    const res = (await pipe.exec()) ?? [];
    const rest: number[] = [];
    for (let i = 0; i < res.length; i++) {
      const [err, ok] = res[i]!;
      if (err) throw err;
      if (ok === null) rest.push(i);
    }
    this.existingShare = keys.length > 0 ? rest.length / keys.length : 0;
    if (rest.length === 0) return 0;
    return this.scripted(
      rest.map((i) => keys[i]!),
      rest.map((i) => rows[i]!),
      rest.map((i) => expireAtMs[i]!),
    );
  }

  // The conditional script (ADR 0022) over every given key, WRITE_BATCH keys per EVALSHA.
  private async scripted(keys: readonly string[], rows: readonly Buffer[], expireAtMs: readonly number[]): Promise<number> {
    const c = this.client as ScriptedRedis;
    const pipe = c.pipeline() as unknown as {
      frecConditionalSet: ScriptedRedis['frecConditionalSet'];
      exec(): Promise<Array<[Error | null, unknown]> | null>;
    };
    for (let s = 0; s < keys.length; s += WRITE_BATCH) {
      const e = Math.min(keys.length, s + WRITE_BATCH);
      const args: Array<string | Buffer | number> = keys.slice(s, e) as string[];
      for (let i = s; i < e; i++) args.push(rows[i]!, expireAtMs[i]!);
      pipe.frecConditionalSet(e - s, ...args);
    }
    const res = (await pipe.exec()) ?? [];
    let skipped = 0;
    for (const [err, n] of res) {
      if (err) throw err;
      skipped += Number(n);
    }
    return skipped;
  }

  async setIfAbsent(key: string, value: string): Promise<void> {
    await this.client.set(key, value, 'NX');
  }

  async deleteMatching(pattern: string): Promise<number> {
    return deleteMatchingOn(this.client, pattern, false);
  }

  rowStats(pattern: string): Promise<{ rows: number; newestEventTimeMs: number | null }> {
    return rowStatsOn(this.client, pattern);
  }

  async ping(): Promise<void> {
    await this.client.ping();
  }

  async close(): Promise<void> {
    this.client.disconnect();
  }
}

/** Escapes Redis glob characters, so a key prefix matches only itself in SCAN MATCH. */
export function escapeGlob(s: string): string {
  return s.replace(/[*?[\]\\]/g, '\\$&');
}

/**
 * Deletes every key that starts with `prefix` on one server (SCAN + UNLINK in pages); returns how
 * many. Tests and benchmarks that own a key prefix clean up with it.
 */
export function deleteKeysWithPrefix(client: Redis, prefix: string): Promise<number> {
  // A shared test Redis can hold a million keys of other runs: pages of 10,000 keep a cleanup at ~100 round trips.
  return deleteMatchingOn(client, `${escapeGlob(prefix)}*`, false, 10_000);
}

/**
 * SCAN + UNLINK on one server, in pages, so a large view never blocks Redis. A cluster node
 * refuses multi-key UNLINK across slots, so there each key gets its own (pipelined) UNLINK.
 */
export async function deleteMatchingOn(client: Redis, pattern: string, perKey: boolean, count = 1000): Promise<number> {
  let cursor = '0';
  let n = 0;
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', count);
    cursor = next;
    if (keys.length === 0) continue;
    if (!perKey) {
      n += await client.unlink(...keys);
      continue;
    }
    const pipe = client.pipeline();
    for (const k of keys) pipe.unlink(k);
    for (const [err, c] of (await pipe.exec()) ?? []) if (!err) n += Number(c);
  } while (cursor !== '0');
  return n;
}

/**
 * SCAN over one server's keys matching `pattern`, reading only each row's 8-byte event time
 * (GETRANGE at its fixed offset, pipelined per page), so a count never decodes or moves whole rows.
 */
export async function rowStatsOn(client: Redis, pattern: string): Promise<{ rows: number; newestEventTimeMs: number | null }> {
  let cursor = '0';
  let rows = 0;
  let newest: number | null = null;
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length === 0) continue;
    const pipe = client.pipeline();
    for (const k of keys) pipe.getrangeBuffer(k, EVENT_TIME_OFFSET, EVENT_TIME_OFFSET + 7);
    for (const [err, b] of (await pipe.exec()) ?? []) {
      // A key that expired between SCAN and GETRANGE reads as an empty string.
      if (err || !Buffer.isBuffer(b) || b.length < 8) continue;
      rows++;
      const t = b.readDoubleLE(0);
      if (newest === null || t > newest) newest = t;
    }
  } while (cursor !== '0');
  return { rows, newestEventTimeMs: newest };
}
