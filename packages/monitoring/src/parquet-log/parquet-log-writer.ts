import { mkdir, rename, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import type { DuckDBConnection, DuckDBInstance, DuckDBType } from '@duckdb/node-api';

/** Column types a log may use (the DuckDB types they are written as). */
export type LogColumnType = 'VARCHAR' | 'DOUBLE' | 'BIGINT' | 'INTEGER' | 'TIMESTAMPTZ';

/** One column of a log: name and type; rows carry values under the same name. */
export interface LogColumn {
  name: string;
  type: LogColumnType;
}

/** Options of a batched Parquet log. */
export interface ParquetLogOptions {
  /** Folder of `date=YYYY-MM-DD/` partitions. */
  dir: string;
  columns: readonly LogColumn[];
  /** Column whose UTC date picks the partition (a TIMESTAMPTZ column). */
  timeColumn: string;
  /** Names the writer in file names (`<writer>-<seq>.parquet`); default `<prefix>-<host>-<pid>-<start>`. */
  writer?: string;
  /** Rows buffered before a flush (default 10,000): never one file per request. */
  flushRows?: number;
  /** Longest a row waits in the buffer, in ms (default 60,000; 0 flushes only by size and on close). */
  flushIntervalMs?: number;
  /** Most rows held while a flush is failing; older rows are dropped and counted (default 200,000). */
  maxBufferedRows?: number;
  /** Where a failed flush is reported (default stderr); the rows stay buffered for the next try. */
  onError?: (err: unknown) => void;
}

type Row = Record<string, unknown>;

/**
 * An append-only Parquet log partitioned by UTC date: rows are buffered and written in batches,
 * each file to a hidden temporary name and renamed into place, so a reader sees a file whole or
 * not at all. DuckDB (already the offline engine, ADR 0083) writes the Parquet; it is loaded on
 * the first flush, so a process that never logs never loads it.
 */
export class ParquetLogWriter {
  readonly writer: string;
  private buffer: Row[] = [];
  private seq = 0;
  private dropped = 0;
  private written = 0;
  private flushing: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private db: Promise<{ instance: DuckDBInstance; conn: DuckDBConnection; types: Map<LogColumnType, DuckDBType> }> | undefined;
  private closed = false;

  constructor(
    private readonly options: ParquetLogOptions,
    prefix = 'log',
  ) {
    this.writer = options.writer ?? `${prefix}-${safe(hostname())}-${process.pid}-${Date.now().toString(36)}`;
    if (!options.columns.some((c) => c.name === options.timeColumn && c.type === 'TIMESTAMPTZ'))
      throw new RangeError(`log time column '${options.timeColumn}' must be one of the TIMESTAMPTZ columns`);
  }

  /** Rows written to files so far, rows waiting, and rows dropped because flushes kept failing. */
  stats(): { written: number; buffered: number; dropped: number; files: number } {
    return { written: this.written, buffered: this.buffer.length, dropped: this.dropped, files: this.seq };
  }

  /** Buffers rows; a full buffer starts a flush in the background. */
  append(rows: readonly Row[]): void {
    if (this.closed || rows.length === 0) return;
    for (const r of rows) this.buffer.push(r);
    const max = this.options.maxBufferedRows ?? 200_000;
    if (this.buffer.length > max) {
      this.dropped += this.buffer.length - max;
      this.buffer.splice(0, this.buffer.length - max);
    }
    if (this.buffer.length >= (this.options.flushRows ?? 10_000)) void this.flush();
    else this.arm();
  }

  /** Writes every buffered row now; resolves when the files are in place. Failures are reported, not thrown. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.writeBuffered());
    return this.flushing;
  }

  /** Flushes and releases DuckDB; later appends are ignored. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.flush();
    const db = await this.db?.catch(() => undefined);
    db?.conn.closeSync();
    db?.instance.closeSync();
  }

  private arm(): void {
    const ms = this.options.flushIntervalMs ?? 60_000;
    if (this.timer || ms <= 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, ms);
    this.timer.unref();
  }

  private async writeBuffered(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.buffer.length === 0) return;
    const rows = this.buffer;
    this.buffer = [];
    try {
      await this.writeRows(rows);
      this.written += rows.length;
    } catch (err) {
      // Kept for the next flush: a full disk or a missing folder loses nothing until the cap.
      this.buffer = rows.concat(this.buffer);
      (this.options.onError ?? ((e: unknown) => process.stderr.write(`${this.writer}: log flush failed: ${String(e)}\n`)))(err);
      if (!this.closed) this.arm();
    }
  }

  private async writeRows(rows: readonly Row[]): Promise<void> {
    const { conn, types } = await this.open();
    const { DuckDBDataChunk, JSToDuckDBValueConverter } = await import('@duckdb/node-api');
    const cols = this.options.columns;
    const byDate = new Map<string, Row[]>();
    for (const r of rows) {
      const t = r[this.options.timeColumn];
      const d = (t instanceof Date ? t : new Date(Number(t))).toISOString().slice(0, 10);
      let list = byDate.get(d);
      if (!list) byDate.set(d, (list = []));
      list.push(r);
    }
    const table = `frec_log_${process.pid}`;
    for (const [date, part] of byDate) {
      await conn.run(`CREATE OR REPLACE TEMP TABLE ${table} (${cols.map((c) => `"${c.name}" ${c.type}`).join(', ')})`);
      const appender = await conn.createAppender(table, 'main', 'temp');
      try {
        for (let start = 0; start < part.length; start += 2048) {
          const slice = part.slice(start, start + 2048);
          const chunk = DuckDBDataChunk.create(
            cols.map((c) => types.get(c.type)!),
            slice.length,
          );
          cols.forEach((c, i) =>
            chunk.setColumnValuesConverted(i, slice.map((r) => toDuck(c.type, r[c.name])) as never[], JSToDuckDBValueConverter),
          );
          appender.appendDataChunk(chunk);
        }
        appender.flushSync();
      } finally {
        appender.closeSync();
      }
      const dir = path.join(this.options.dir, `date=${date}`);
      await mkdir(dir, { recursive: true });
      const file = path.join(dir, `${this.writer}-${String(++this.seq).padStart(6, '0')}.parquet`);
      const tmp = path.join(dir, `.${path.basename(file)}.tmp`);
      try {
        await conn.run(`COPY ${table} TO '${tmp.replaceAll("'", "''")}' (FORMAT parquet)`);
        await rename(tmp, file);
      } catch (err) {
        await rm(tmp, { force: true });
        throw err;
      }
    }
  }

  private open() {
    this.db ??= (async () => {
      const duck = await import('@duckdb/node-api');
      const instance = await duck.DuckDBInstance.create(':memory:');
      const conn = await instance.connect();
      const types = new Map<LogColumnType, DuckDBType>([
        ['VARCHAR', duck.VARCHAR],
        ['DOUBLE', duck.DOUBLE],
        ['BIGINT', duck.BIGINT],
        ['INTEGER', duck.INTEGER],
        ['TIMESTAMPTZ', duck.TIMESTAMPTZ],
      ]);
      return { instance, conn, types };
    })();
    return this.db;
  }
}

function toDuck(type: LogColumnType, v: unknown): unknown {
  if (v === undefined || v === null) return null;
  switch (type) {
    case 'TIMESTAMPTZ':
      return v instanceof Date ? v : new Date(Number(v));
    case 'DOUBLE':
      return typeof v === 'number' ? v : Number(v);
    case 'BIGINT':
      return BigInt(Math.trunc(Number(v)));
    case 'INTEGER':
      return Math.trunc(Number(v));
    default:
      return typeof v === 'string' ? v : String(v);
  }
}

const safe = (s: string): string => s.replace(/[^A-Za-z0-9_.-]/g, '_');
