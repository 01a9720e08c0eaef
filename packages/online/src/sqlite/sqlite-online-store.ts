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
    const strKeys = new Array<string>(keys.length);
    for (let i = 0; i < keys.length; i++) strKeys[i] = entityKeyString(keys[i]!);
    if (keys.length <= 4) {
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

  /** Reads several views, one after the other (SQLite lookups are in-process). */
  async readColumnsMany(project: string, reads: readonly OnlineColumnarRequest[]): Promise<OnlineColumnarRead[]> {
    return this.readColumnsManyNow(project, reads);
  }

  /** readColumnsMany without a promise, unless a row's older feature set must be loaded first. */
  readColumnsManyNow(project: string, reads: readonly OnlineColumnarRequest[]): OnlineColumnarRead[] | Promise<OnlineColumnarRead[]> {
    const out = new Array<OnlineColumnarRead>(reads.length);
    let later: Array<Promise<void>> | undefined;
    for (let i = 0; i < reads.length; i++) {
      const r = reads[i]!;
      const read = this.readColumnsNow(project, r.view, r.keys, r.features);
      if (read instanceof Promise) (later ??= []).push(read.then((v) => void (out[i] = v)));
      else out[i] = read;
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
