import { Cluster, Redis } from 'ioredis';
import { type FeatureValue, type FeatureViewSpec } from '@frec/core';
import {
  type EntityKeyValues,
  type OnlineColumnarRead,
  type OnlineColumnarWrite,
  type OnlineColumnarRequest,
  type OnlineReadResult,
  type OnlineStore,
  type OnlineViewStats,
  type OnlineWriteResult,
  type OnlineWriteRow,
} from '@frec/core/spi';
import type { RedisOnlineStoreConfig } from './redis-online-store-config.js';
import { ColumnReader, columnsToResults, schemaFromJson, schemaToJson } from '../codec/column-reader.js';
import { entityKeyString } from '../codec/entity-key.js';
import { encodeRow, type RowSchema } from '../codec/row-codec.js';
import type { RedisBackend } from './redis-backend.js';
import { RedisClusterBackend } from './redis-cluster.js';
import { withDeadline, type DeadlineOptions, type Watchable } from './redis-deadline.js';
import { keyFrame } from './redis-mget-frame.js';
import { escapeGlob, RedisStandalone } from './redis-standalone.js';

/** Entity keys per view whose Redis key strings are kept between reads. */
const KEY_CACHE_SIZE = 100_000;

/** A view's key prefix, and the Redis key and MGET frame of each hot entity key (single join key). */
interface KeyCache {
  base: string;
  keys: Map<string | number, { key: string; frame: Buffer }>;
}

function seedNodes(connection: string): Array<{ host: string; port: number }> {
  return connection.split(',').map((part) => {
    const u = new URL(part.includes('://') ? part.trim() : `redis://${part.trim()}`);
    return { host: u.hostname || '127.0.0.1', port: Number(u.port || 6379) };
  });
}

/**
 * The Redis online store (ADR 0020): one key per (project, view, entity key) holding a binary
 * row, read with MGET (per node in a Cluster, ADR 0021) and written with a conditional Lua batch.
 * @example
 * const store = new RedisOnlineStore({ type: 'redis', connection_string: 'redis://127.0.0.1:6379', cluster: false,
 *   key_prefix: 'demo:', connect_timeout_ms: 1000, command_timeout_ms: 500 });
 */
export class RedisOnlineStore implements OnlineStore {
  readonly type = 'redis';
  private readonly client: Redis | Cluster;
  private readonly backend: RedisBackend;
  private readonly reader: ColumnReader;
  private readonly deadline: DeadlineOptions;
  private readonly savedSchemas = new Set<string>();
  private lastError: { error: Error; at: number } | undefined;
  private readonly prefix: string;

  constructor(readonly config: RedisOnlineStoreConfig) {
    this.prefix = config.key_prefix;
    // No auto-pipelining: a read is already one MGET, and batching per tick only adds work to it.
    const common = {
      connectTimeout: config.connect_timeout_ms,
      maxRetriesPerRequest: 1,
      retryStrategy: (times: number) => Math.min(50 * times, 1000),
    };
    if (config.cluster) {
      this.client = new Cluster(seedNodes(config.connection_string), {
        redisOptions: { connectTimeout: config.connect_timeout_ms, maxRetriesPerRequest: 1 },
        clusterRetryStrategy: (times: number) => Math.min(100 * times, 1000),
        slotsRefreshTimeout: config.connect_timeout_ms,
        retryDelayOnFailover: 100,
        retryDelayOnClusterDown: 100,
      });
      this.backend = new RedisClusterBackend(this.client);
    } else {
      this.client = new Redis(config.connection_string, common);
      this.backend = new RedisStandalone(this.client);
    }
    // Without a listener ioredis prints every reconnect failure; we keep the latest for error messages.
    this.client.on('error', (error: Error) => {
      this.lastError = { error, at: Date.now() };
    });
    // A server that restarted may have lost the schema records: write them again on the next write.
    this.client.on('ready', () => this.savedSchemas.clear());
    this.deadline = {
      where: config.connection_string,
      connectTimeoutMs: config.connect_timeout_ms,
      commandTimeoutMs: config.command_timeout_ms,
      lastError: () => this.lastError,
    };
    this.reader = new ColumnReader();
  }

  // No async wrapper: each extra promise layer is a microtask hop on every read.
  private run<T>(op: () => Promise<T>, weight = 1): Promise<T> {
    const p = withDeadline(this.client as unknown as Watchable, this.deadline, op, weight);
    const onFailure = this.backend.onFailure;
    if (!onFailure) return p;
    return p.catch((err: unknown) => {
      onFailure.call(this.backend);
      throw err;
    });
  }

  // Hot keys (ranking candidates come back request after request) keep one flat key string and
  // its wire frame each, instead of a fresh concatenation that ioredis must flatten, measure and
  // encode on every read. Looked up by project and view name (long-lived strings with cached
  // hashes), not by a built string.
  private readonly keyCaches = new Map<string, Map<string, KeyCache>>();

  private keyCacheOf(project: string, view: string): KeyCache {
    let byView = this.keyCaches.get(project);
    if (!byView) this.keyCaches.set(project, (byView = new Map()));
    let c = byView.get(view);
    if (!c) byView.set(view, (c = { base: this.base(project, view), keys: new Map() }));
    return c;
  }

  private base(project: string, view: string): string {
    return `${this.prefix}${project}:${view}:`;
  }

  private schemaKey(project: string, view: string, id: number): string {
    return `${this.prefix}${project}:${view}#schema:${id}`;
  }

  private async loadSchema(project: string, view: string, id: number): Promise<RowSchema | undefined> {
    const [buf] = await this.run(() => this.backend.getMany([this.schemaKey(project, view, id)]));
    return buf ? schemaFromJson(buf.toString('utf8')) : undefined;
  }

  private async saveSchema(project: string, view: FeatureViewSpec): Promise<RowSchema> {
    const schema = this.reader.schemaOf(view);
    const key = this.schemaKey(project, view.name, schema.id);
    if (!this.savedSchemas.has(key)) {
      await this.run(() => this.backend.setIfAbsent(key, schemaToJson(schema)));
      this.savedSchemas.add(key);
    }
    return schema;
  }

  /** Records each kept view's feature set (so its rows stay readable after a later change) and deletes removed views' keys. */
  async update(args: { project: string; keep: readonly FeatureViewSpec[]; remove: readonly FeatureViewSpec[] }): Promise<void> {
    for (const v of args.keep) await this.saveSchema(args.project, v);
    await this.teardown({ project: args.project, views: args.remove });
  }

  /** Writes rows conditionally on event time; views with a TTL get an expiry of max(event time, now) + TTL. */
  async write(project: string, view: FeatureViewSpec, rows: readonly OnlineWriteRow[]): Promise<OnlineWriteResult> {
    if (rows.length === 0) return { written: 0, skippedOlder: 0 };
    const schema = await this.saveSchema(project, view);
    const fields = schema.fields;
    const values = new Array<FeatureValue>(fields.length);
    return this.writeEncoded(
      project,
      view,
      rows.length,
      (i) => {
        const r = rows[i]!;
        for (let f = 0; f < fields.length; f++) values[f] = r.values[fields[f]!.name] ?? null;
        return values;
      },
      (i) => rows[i]!.key,
      (i) => rows[i]!.eventTimeMs,
      (i) => rows[i]!.createdTimeMs,
    );
  }

  /** Writes rows given column by column (no object per row), with the same conditions as `write`. */
  async writeColumns(project: string, view: FeatureViewSpec, batch: OnlineColumnarWrite): Promise<OnlineWriteResult> {
    const n = batch.keys.length;
    if (n === 0) return { written: 0, skippedOlder: 0 };
    await this.saveSchema(project, view);
    // The row schema lists the view's features in declared order, the order of `batch.columns`.
    const cols = batch.columns;
    const values = new Array<FeatureValue>(cols.length);
    const created = batch.createdTimeMs;
    return this.writeEncoded(
      project,
      view,
      n,
      (i) => {
        for (let f = 0; f < cols.length; f++) values[f] = cols[f]![i] ?? null;
        return values;
      },
      (i) => batch.keys[i]!,
      (i) => batch.eventTimeMs[i]!,
      created ? (i) => created[i] : () => undefined,
    );
  }

  // Encodes n rows (values in row-schema order) and writes them in pipelined conditional batches.
  private async writeEncoded(
    project: string,
    view: FeatureViewSpec,
    n: number,
    valuesOf: (i: number) => readonly FeatureValue[],
    keyOf: (i: number) => EntityKeyValues,
    eventOf: (i: number) => number,
    createdOf: (i: number) => number | undefined,
  ): Promise<OnlineWriteResult> {
    const schema = this.reader.schemaOf(view);
    const base = this.base(project, view.name);
    const ttlMs = view.ttlSeconds * 1000;
    const now = Date.now();
    const keys = new Array<string>(n);
    const bufs = new Array<Buffer>(n);
    const expire = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      const event = eventOf(i);
      const created = createdOf(i);
      keys[i] = base + entityKeyString(keyOf(i));
      bufs[i] = encodeRow(schema, valuesOf(i), event, created ?? now);
      expire[i] = ttlMs > 0 ? Math.max(event, now) + ttlMs : 0;
    }
    const skipped = await this.run(() => this.backend.conditionalSet(keys, bufs, expire), 1 + n / 5000);
    return { written: n - skipped, skippedOlder: skipped };
  }

  /** Reads the requested features of many keys into columns with one MGET (one per node in a Cluster). */
  async readColumns(
    project: string,
    view: FeatureViewSpec,
    keys: readonly EntityKeyValues[],
    features: readonly string[],
  ): Promise<OnlineColumnarRead> {
    const [read] = await this.readColumnsMany(project, [{ view, keys, features }]);
    return read!;
  }

  /** Reads several views' keys with a single MGET (one per node in a Cluster), then decodes each view's rows. */
  async readColumnsMany(project: string, reads: readonly OnlineColumnarRequest[]): Promise<OnlineColumnarRead[]> {
    let total = 0;
    for (const r of reads) total += r.keys.length;
    const redisKeys = new Array<string>(total);
    const frames = new Array<Buffer>(total);
    let at = 0;
    for (const r of reads) {
      const { base, keys: cache } = this.keyCacheOf(project, r.view.name);
      for (let i = 0; i < r.keys.length; i++) {
        const key = r.keys[i]!;
        if (key.length !== 1) {
          const s = base + entityKeyString(key);
          redisKeys[at] = s;
          frames[at++] = keyFrame(s);
          continue;
        }
        let c = cache.get(key[0]!);
        if (c === undefined) {
          const s = base + entityKeyString(key);
          c = { key: s, frame: keyFrame(s) };
          if (cache.size >= KEY_CACHE_SIZE) cache.clear();
          cache.set(key[0]!, c);
        }
        redisKeys[at] = c.key;
        frames[at++] = c.frame;
      }
    }
    const rows = await this.run(() => this.backend.getMany(redisKeys, frames), 1 + total / 5000);
    const out = new Array<OnlineColumnarRead>(reads.length);
    let later: Array<Promise<void>> | undefined;
    at = 0;
    for (let v = 0; v < reads.length; v++) {
      const r = reads[v]!;
      const part = reads.length === 1 ? rows : rows.slice(at, at + r.keys.length);
      at += r.keys.length;
      const read = this.reader.decode(
        r.view,
        part,
        r.features,
        (k) => entityKeyString(r.keys[k]!),
        (name, id) => this.loadSchema(project, name, id),
      );
      // Only rows of a feature set not seen yet need an await (a schema fetch).
      if (read instanceof Promise) (later ??= []).push(read.then((x) => void (out[v] = x)));
      else out[v] = read;
    }
    if (later) await Promise.all(later);
    return out;
  }

  async read(
    project: string,
    view: FeatureViewSpec,
    keys: readonly EntityKeyValues[],
    features?: readonly string[],
  ): Promise<OnlineReadResult[]> {
    const names = features ?? view.features.map((f) => f.name);
    return columnsToResults(await this.readColumns(project, view, keys, names), names);
  }

  /** Rows of a view and their newest event time, by SCAN over its row keys (schema records, under '#', are not rows). */
  async stats(project: string, view: FeatureViewSpec): Promise<OnlineViewStats> {
    return this.run(() => this.backend.rowStats(`${escapeGlob(`${this.prefix}${project}:${view.name}`)}:*`), 20);
  }

  private markKey(project: string, view: string): string {
    return `${this.prefix}${project}:${view}#materialized`;
  }

  /** The last complete materialization's mark, in a key beside the view's rows (under '#', not a row). */
  async materializationMark(project: string, view: FeatureViewSpec): Promise<string | null> {
    const [buf] = await this.run(() => this.backend.getMany([this.markKey(project, view.name)]));
    return buf ? buf.toString('utf8') : null;
  }

  async setMaterializationMark(project: string, view: FeatureViewSpec, mark: string): Promise<void> {
    await this.run(() => this.client.set(this.markKey(project, view.name), mark));
  }

  /** Deletes every key (rows, schema records, the materialization mark) of the given views. */
  async teardown(args: { project: string; views: readonly FeatureViewSpec[] }): Promise<void> {
    for (const v of args.views) {
      const pattern = `${escapeGlob(`${this.prefix}${args.project}:${v.name}`)}[:#]*`;
      await this.run(() => this.backend.deleteMatching(pattern), 20);
      for (const k of [...this.savedSchemas]) if (k.startsWith(`${this.prefix}${args.project}:${v.name}#`)) this.savedSchemas.delete(k);
    }
  }

  async ping(): Promise<void> {
    await this.run(() => this.backend.ping());
  }

  async close(): Promise<void> {
    await this.backend.close();
  }
}
