import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { JSDuckDBValueConverter, type DuckDBConnection, type DuckDBType } from '@duckdb/node-api';
import * as arrow from 'apache-arrow';
import { type RetrievalJob, type RetrievalMetadata } from '@frec/core';
import { type HistoricalRequest } from '@frec/core/spi';
import { offlineStoreError } from '../errors.js';
import type { HistoricalPlan } from '../historical-plan.js';
import { computeOnDemand } from '../on-demand.js';
import { ident, literal } from '../sql.js';
import { arrowSchema, duckTypeOfValueType, emptyBatch, toPlainValue, toRecordBatch } from './duckdb-arrow.js';
import { appendColumns } from './duckdb-connection.js';

/** Rows per batch that toArrowBatches yields and the other readers work in. */
export const DEFAULT_BATCH_ROWS = 65_536;

/** A batch of result rows, column-major, as DuckDB's JS converter returns them. */
interface ColumnBatch {
  names: string[];
  types: DuckDBType[];
  columns: unknown[][];
  rows: number;
}

/**
 * A RetrievalJob over DuckDB: the compiled statement runs when a reader asks for rows, and every
 * reader streams it, so only one batch is held in JS at a time. Owns its connection (and with it
 * the entity rows' temporary table) until closed.
 */
export class DuckDBRetrievalJob implements RetrievalJob {
  private lock: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly conn: DuckDBConnection,
    /** The compiled point-in-time join. */
    readonly sql: string,
    private readonly plan: HistoricalPlan,
    private readonly request: HistoricalRequest,
    readonly metadata: RetrievalMetadata,
    private readonly onClose: (job: DuckDBRetrievalJob) => void,
    /** Opens another connection to the same database. */
    private readonly connect: () => Promise<DuckDBConnection>,
    private readonly batchRows = DEFAULT_BATCH_ROWS,
  ) {}

  private get hasOnDemand(): boolean {
    return this.plan.outputs.some((o) => o.kind === 'odfv');
  }

  /** Waits until no other reader uses the connection (one statement at a time) and returns the release. */
  private async acquire(): Promise<() => void> {
    if (this.closed) throw offlineStoreError('read a retrieval job', new Error('the job was closed'));
    const prev = this.lock;
    let release!: () => void;
    this.lock = new Promise<void>((r) => (release = r));
    await prev;
    return release;
  }

  /** Streams the result in column batches under the connection lock. */
  private async *columnBatches(): AsyncGenerator<ColumnBatch> {
    const release = await this.acquire();
    try {
      yield* this.streamBatches();
    } finally {
      release();
    }
  }

  /** Streams the result in column batches, with on-demand columns computed per batch; the caller holds the lock. */
  private async *streamBatches(): AsyncGenerator<ColumnBatch> {
    {
      const result = await this.conn.stream(this.sql).catch((err: unknown) => {
        throw offlineStoreError('run the point-in-time join', err);
      });
      const sqlNames = result.columnNames();
      const sqlTypes = result.columnTypes();
      const index = new Map(sqlNames.map((n, i) => [n, i]));
      let buf: unknown[][] = sqlNames.map(() => []);
      let rows = 0;
      let emitted = false;
      const flush = (): ColumnBatch => {
        const b = this.finish(sqlNames, sqlTypes, index, buf, rows);
        buf = sqlNames.map(() => []);
        rows = 0;
        emitted = true;
        return b;
      };
      for (;;) {
        const chunk = await result.fetchChunk();
        if (!chunk || chunk.rowCount === 0) break;
        const cols = chunk.convertColumns(JSDuckDBValueConverter);
        cols.forEach((c, i) => {
          const target = buf[i]!;
          for (const v of c) target.push(v);
        });
        rows += chunk.rowCount;
        if (rows >= this.batchRows) yield flush();
      }
      if (rows > 0 || !emitted) yield flush();
    }
  }

  /** Puts a batch's columns in final order, adding the on-demand columns. */
  private finish(names: string[], types: DuckDBType[], index: Map<string, number>, columns: unknown[][], rows: number): ColumnBatch {
    if (!this.hasOnDemand) return { names, types, columns, rows };
    const computed = computeOnDemand(this.plan, this.request, index, columns, rows);
    const out: ColumnBatch = { names: [], types: [], columns: [], rows };
    for (const o of this.plan.outputs) {
      out.names.push(o.name);
      if (o.kind === 'odfv') {
        out.types.push(duckTypeOfValueType(o.dtype));
        out.columns.push(computed.get(o.name)!);
      } else {
        const i = index.get(o.name)!;
        out.types.push(types[i]!);
        out.columns.push(columns[i]!);
      }
    }
    return out;
  }

  /** The result in Arrow record batches of at most 65,536 rows, one held in memory at a time. */
  async *toArrowBatches(): AsyncGenerator<arrow.RecordBatch> {
    for await (const b of this.columnBatches()) {
      yield b.rows === 0 ? emptyBatch(b.names, b.types) : toRecordBatch(b.names, b.types, b.columns);
    }
  }

  /** The whole result as one Arrow table. */
  async toArrow(): Promise<arrow.Table> {
    const batches: arrow.RecordBatch[] = [];
    let schema: arrow.Schema | undefined;
    for await (const b of this.columnBatches()) {
      schema ??= arrowSchema(b.names, b.types);
      if (b.rows > 0) batches.push(toRecordBatch(b.names, b.types, b.columns));
    }
    return batches.length > 0 ? new arrow.Table(batches) : new arrow.Table(schema!);
  }

  /** The result as plain objects: int64 as numbers where safe, timestamps as Dates, lists as arrays. */
  async toRows(): Promise<Array<Record<string, unknown>>> {
    const out: Array<Record<string, unknown>> = [];
    for await (const b of this.columnBatches()) {
      for (let r = 0; r < b.rows; r++) {
        const row: Record<string, unknown> = {};
        b.names.forEach((n, i) => (row[n] = toPlainValue(b.columns[i]![r])));
        out.push(row);
      }
    }
    return out;
  }

  /** Writes the result to one Parquet file, atomically: readers never see a half-written file. */
  async toParquet(file: string): Promise<void> {
    const target = path.resolve(file);
    await mkdir(path.dirname(target), { recursive: true });
    const tmp = path.join(path.dirname(target), `.${path.basename(target)}.${randomUUID()}.tmp`);
    try {
      const release = await this.acquire();
      try {
        if (!this.hasOnDemand) await this.conn.run(`COPY (${this.sql}) TO ${literal(tmp)} (FORMAT parquet)`);
        else await this.writeThroughTable(tmp);
      } finally {
        release();
      }
      await rename(tmp, target);
    } catch (err) {
      await rm(tmp, { force: true });
      throw offlineStoreError(`write '${target}'`, err);
    }
  }

  /**
   * With on-demand columns the rows pass through JS, then, batch by batch, through a table that a
   * second connection fills (one connection cannot append while it streams), then into Parquet.
   * The caller holds the lock.
   */
  private async writeThroughTable(tmp: string): Promise<void> {
    const table = ident(`__frec_out_${randomUUID().replace(/-/g, '')}`);
    const writer = await this.connect();
    let created = false;
    try {
      for await (const b of this.streamBatches()) {
        if (!created) {
          await writer.run(`CREATE TABLE ${table} (${b.names.map((n, i) => `${ident(n)} ${b.types[i]!.toString()}`).join(', ')})`);
          created = true;
        }
        await appendColumns(writer, table.slice(1, -1), b.types, b.columns, b.rows);
      }
      await writer.run(`COPY ${table} TO ${literal(tmp)} (FORMAT parquet)`);
    } finally {
      if (created) await writer.run(`DROP TABLE IF EXISTS ${table}`);
      writer.closeSync();
    }
  }

  /** Frees the job's connection and its entity table; readers fail afterwards. */
  async close(): Promise<void> {
    if (this.closed) return;
    const release = await this.acquire();
    this.closed = true;
    release();
    this.conn.closeSync();
    this.onClose(this);
  }
}
