import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ErrorCode, StoreError, type FeatureViewSpec } from '@frec/core';
import {
  resolveRepoPath,
  type EntityKeyValues,
  type OnlineColumnarRead,
  type OnlineColumnarRequest,
  type OnlineReadResult,
  type OnlineStore,
  type OnlineViewStats,
  type OnlineWriteResult,
  type OnlineWriteRow,
} from '@frec/core/spi';
import type { SqliteOnlineStoreConfig } from './sqlite-online-store-config.js';
import { ColumnReader, columnsToResults, schemaFromJson, schemaToJson } from '../codec/column-reader.js';
import { entityKeyString } from '../codec/entity-key.js';
import { encodeRow } from '../codec/row-codec.js';

// Up to this many keys a read looks each up by itself (and two views' reads of them pair up); more go through one json_each statement.
const PAIR_KEYS = 4;

function keyStrings(keys: readonly EntityKeyValues[]): string[] {
  const out = new Array<string>(keys.length);
  for (let i = 0; i < keys.length; i++) out[i] = entityKeyString(keys[i]!);
  return out;
}

/** The first read after `i`, not yet paired, of the same keys array and another view. */
function pairOf(reads: readonly OnlineColumnarRequest[], i: number, paired: Uint8Array | undefined): number {
  const r = reads[i]!;
  for (let j = i + 1; j < reads.length; j++) if (!paired?.[j] && reads[j]!.keys === r.keys && reads[j]!.view.name !== r.view.name) return j;
  return -1;
}

const DDL = `
CREATE TABLE IF NOT EXISTS frec_online_rows (
  project TEXT NOT NULL, view TEXT NOT NULL, entity_key TEXT NOT NULL,
  event_ms REAL NOT NULL, created_ms REAL NOT NULL, row BLOB NOT NULL,
  PRIMARY KEY (project, view, entity_key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS frec_online_schemas (
  project TEXT NOT NULL, view TEXT NOT NULL, schema_id INTEGER NOT NULL, fields TEXT NOT NULL,
  PRIMARY KEY (project, view, schema_id)
);`;

// Same rule as the Redis script: a row replaces the stored one unless it is older.
const UPSERT = `INSERT INTO frec_online_rows (project, view, entity_key, event_ms, created_ms, row) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (project, view, entity_key) DO UPDATE SET event_ms = excluded.event_ms, created_ms = excluded.created_ms, row = excluded.row
WHERE excluded.event_ms > frec_online_rows.event_ms
   OR (excluded.event_ms = frec_online_rows.event_ms AND excluded.created_ms >= frec_online_rows.created_ms)`;

/**
 * The embedded online store: one SQLite file in WAL mode holding the same binary rows as
 * Redis (ADR 0020), keyed by (project, view, entity key). Needs no server; the `frec init` default.
 */
export class SqliteOnlineStore implements OnlineStore {
  readonly type = 'sqlite';
  readonly file: string;
  private readonly db: Database.Database;
  private readonly reader = new ColumnReader();
  private readonly stmts: {
    upsert: Database.Statement;
    get: Database.Statement;
    getPair: Database.Statement;
    getMany: Database.Statement;
    saveSchema: Database.Statement;
    loadSchema: Database.Statement;
    deleteView: Database.Statement;
    deleteSchemas: Database.Statement;
    stats: Database.Statement;
  };

  constructor(config: SqliteOnlineStoreConfig & { repoPath?: string }) {
    this.file = config.path === ':memory:' ? ':memory:' : resolveRepoPath({ repoPath: config.repoPath ?? process.cwd() }, config.path);
    try {
      if (this.file !== ':memory:') mkdirSync(path.dirname(this.file), { recursive: true });
      this.db = new Database(this.file);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('busy_timeout = 5000');
      this.db.exec(DDL);
    } catch (err) {
      throw new StoreError(
        ErrorCode.ONLINE_STORE_UNAVAILABLE,
        `Cannot open the SQLite online store at ${this.file}: ${(err as Error).message}.`,
        {
          where: { file: this.file },
          hint: 'Check online_store.path in feature_store.yaml and that its folder is writable.',
          cause: err,
        },
      );
    }
    this.stmts = {
      upsert: this.db.prepare(UPSERT),
      get: this.db.prepare('SELECT row FROM frec_online_rows WHERE project = ? AND view = ? AND entity_key = ?').pluck(),
      // Both rows in one statement: one read transaction (its locking is much of a lookup's cost) for two seeks.
      getPair: this.db
        .prepare(
          `SELECT (SELECT row FROM frec_online_rows WHERE project = ? AND view = ? AND entity_key = ?),
                  (SELECT row FROM frec_online_rows WHERE project = ? AND view = ? AND entity_key = ?)`,
        )
        .raw(),
      getMany: this.db
        .prepare(
          'SELECT entity_key, row FROM frec_online_rows WHERE project = ? AND view = ? AND entity_key IN (SELECT value FROM json_each(?))',
        )
        .raw(),
      saveSchema: this.db.prepare('INSERT OR IGNORE INTO frec_online_schemas (project, view, schema_id, fields) VALUES (?, ?, ?, ?)'),
      loadSchema: this.db.prepare('SELECT fields FROM frec_online_schemas WHERE project = ? AND view = ? AND schema_id = ?').pluck(),
      deleteView: this.db.prepare('DELETE FROM frec_online_rows WHERE project = ? AND view = ?'),
      deleteSchemas: this.db.prepare('DELETE FROM frec_online_schemas WHERE project = ? AND view = ?'),
      stats: this.db.prepare('SELECT COUNT(*) AS n, MAX(event_ms) AS newest FROM frec_online_rows WHERE project = ? AND view = ?'),
    };
  }

  private saveSchema(project: string, view: FeatureViewSpec) {
    const schema = this.reader.schemaOf(view);
    this.stmts.saveSchema.run(project, view.name, schema.id, schemaToJson(schema));
    return schema;
  }

  /** Records kept views' feature sets and deletes removed views' rows. */
  async update(args: { project: string; keep: readonly FeatureViewSpec[]; remove: readonly FeatureViewSpec[] }): Promise<void> {
    for (const v of args.keep) this.saveSchema(args.project, v);
    await this.teardown({ project: args.project, views: args.remove });
  }

  /** Writes rows in one transaction, each conditional on event time. */
  async write(project: string, view: FeatureViewSpec, rows: readonly OnlineWriteRow[]): Promise<OnlineWriteResult> {
    if (rows.length === 0) return { written: 0, skippedOlder: 0 };
    const schema = this.saveSchema(project, view);
    const now = Date.now();
    const values = new Array(schema.fields.length);
    let written = 0;
    this.db.transaction(() => {
      for (const r of rows) {
        for (let f = 0; f < schema.fields.length; f++) values[f] = r.values[schema.fields[f]!.name] ?? null;
        const created = r.createdTimeMs ?? now;
        const row = encodeRow(schema, values, r.eventTimeMs, created);
        written += this.stmts.upsert.run(project, view.name, entityKeyString(r.key), r.eventTimeMs, created, row).changes;
      }
    })();
    return { written, skippedOlder: rows.length - written };
  }

  /** Reads the requested features of many keys into columns (one indexed lookup per key). */
  async readColumns(
    project: string,
    view: FeatureViewSpec,
    keys: readonly EntityKeyValues[],
    features: readonly string[],
  ): Promise<OnlineColumnarRead> {
    return this.readColumnsNow(project, view, keys, features);
  }

  // better-sqlite3 reads synchronously: the async methods wrap this once, with no await per view.
  private readColumnsNow(
    project: string,
    view: FeatureViewSpec,
    keys: readonly EntityKeyValues[],
    features: readonly string[],
  ): OnlineColumnarRead | Promise<OnlineColumnarRead> {
    const rows = new Array<Buffer | null>(keys.length).fill(null);
    const strKeys = keyStrings(keys);
    if (keys.length <= PAIR_KEYS) {
      for (let i = 0; i < keys.length; i++) rows[i] = (this.stmts.get.get(project, view.name, strKeys[i]) as Buffer | undefined) ?? null;
    } else {
      // One statement for many keys: a single pass over the index instead of a call per key.
      const slot = new Map<string, number>();
      strKeys.forEach((k, i) => slot.set(k, i));
      for (const [k, row] of this.stmts.getMany.all(project, view.name, JSON.stringify(strKeys)) as Array<[string, Buffer]>) {
        const i = slot.get(k);
        if (i !== undefined) rows[i] = row;
      }
      // A key asked for twice got its row at its last position only.
      if (slot.size !== keys.length) for (let i = 0; i < keys.length; i++) rows[i] ??= rows[slot.get(strKeys[i]!)!] ?? null;
    }
    return this.decodeRows(project, view, rows, features, strKeys);
  }

  private decodeRows(
    project: string,
    view: FeatureViewSpec,
    rows: ReadonlyArray<Buffer | null>,
    features: readonly string[],
    strKeys: readonly string[],
  ): OnlineColumnarRead | Promise<OnlineColumnarRead> {
    return this.reader.decode(
      view,
      rows,
      features,
      (k) => strKeys[k]!,
      (v, id) => {
        const text = this.stmts.loadSchema.get(project, v, id) as string | undefined;
        return text ? schemaFromJson(text) : undefined;
      },
    );
  }

  /**
   * Two views' reads of the same few keys with one statement per key (an aggregation view's base and
   * recent rows, recent-row.ts in @frec/core): one statement, so one read transaction, per key instead of two.
   */
  private readPairNow(
    project: string,
    a: OnlineColumnarRequest,
    b: OnlineColumnarRequest,
  ): Array<OnlineColumnarRead | Promise<OnlineColumnarRead>> {
    const n = a.keys.length;
    const ra = new Array<Buffer | null>(n).fill(null);
    const rb = new Array<Buffer | null>(n).fill(null);
    const strKeys = keyStrings(a.keys);
    for (let i = 0; i < n; i++) {
      const [x, y] = this.stmts.getPair.get(project, a.view.name, strKeys[i], project, b.view.name, strKeys[i]) as [
        Buffer | null,
        Buffer | null,
      ];
      ra[i] = x;
      rb[i] = y;
    }
    return [this.decodeRows(project, a.view, ra, a.features, strKeys), this.decodeRows(project, b.view, rb, b.features, strKeys)];
  }

  /** Reads several views, one after the other (SQLite lookups are in-process). */
  async readColumnsMany(project: string, reads: readonly OnlineColumnarRequest[]): Promise<OnlineColumnarRead[]> {
    return this.readColumnsManyNow(project, reads);
  }

  /** readColumnsMany without a promise, unless a row's older feature set must be loaded first. */
  readColumnsManyNow(project: string, reads: readonly OnlineColumnarRequest[]): OnlineColumnarRead[] | Promise<OnlineColumnarRead[]> {
    const out = new Array<OnlineColumnarRead>(reads.length);
    let later: Array<Promise<void>> | undefined;
    const put = (i: number, read: OnlineColumnarRead | Promise<OnlineColumnarRead>) => {
      if (read instanceof Promise) (later ??= []).push(read.then((v) => void (out[i] = v)));
      else out[i] = read;
    };
    let paired: Uint8Array | undefined;
    for (let i = 0; i < reads.length; i++) {
      if (paired?.[i]) continue;
      const r = reads[i]!;
      // A later read of the same few keys (the same array: getOnlineFeatures passes it to both of an aggregation view's reads) shares the lookups.
      const j = r.keys.length <= PAIR_KEYS ? pairOf(reads, i, paired) : -1;
      if (j < 0) {
        put(i, this.readColumnsNow(project, r.view, r.keys, r.features));
        continue;
      }
      (paired ??= new Uint8Array(reads.length))[j] = 1;
      const [x, y] = this.readPairNow(project, r, reads[j]!);
      put(i, x!);
      put(j, y!);
    }
    return later ? Promise.all(later).then(() => out) : out;
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

  async stats(project: string, view: FeatureViewSpec): Promise<OnlineViewStats> {
    const r = this.stmts.stats.get(project, view.name) as { n: number; newest: number | null };
    return { rows: r.n, newestEventTimeMs: r.newest };
  }

  async teardown(args: { project: string; views: readonly FeatureViewSpec[] }): Promise<void> {
    this.db.transaction(() => {
      for (const v of args.views) {
        this.stmts.deleteView.run(args.project, v.name);
        this.stmts.deleteSchemas.run(args.project, v.name);
      }
    })();
  }

  async ping(): Promise<void> {
    this.db.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
