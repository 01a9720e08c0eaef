import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { type FeatureViewSpec, type FileSourceSpec, type RetrievalMetadata, type ValueType } from '@frec/core';
import {
  type HistoricalRequest,
  type OfflineStore,
  type PulledBatch,
  type TileBatch,
  type TileEvent,
  type TileProgress,
} from '@frec/core/spi';
import { pullTiles, tileEvents } from './duckdb-aggregations.js';
import { historicalAggregates } from './duckdb-historical-aggregates.js';
import { checkAggregationSource, inspectEvents, type EventShape } from './duckdb-tiles.js';
import { ErrorCode, RequestError } from '@frec/core';
import { offlineStoreError } from '../errors.js';
import { batchSourceOf, sourceGlob } from '../file-source.js';
import { asUtcTimestamp } from '../duckdb-types.js';
import { planHistorical } from '../historical-plan.js';
import { compilePointInTimeJoin, type TieBreakStrategy } from '../point-in-time-join.js';
import { ident, literal } from '../sql.js';
import { appendRows, checkAppendable } from './duckdb-append-rows.js';
import { compactAppended, type CompactResult } from './duckdb-compact.js';
import { queryRows } from './duckdb-connection.js';
import { loadEntities } from './duckdb-entity-input.js';
import type { DuckDBOfflineStoreConfig } from './duckdb-offline-store-config.js';
import { instanceOptions } from './duckdb-offline-store-config.js';
import { compileCountLatest, compilePullLatest, DEFAULT_PASS_ROWS, keyPartsFor, streamPulled } from './duckdb-pull-latest.js';
import { DEFAULT_BATCH_ROWS, DuckDBRetrievalJob } from './duckdb-retrieval-job.js';
import { checkSourceSchema, inspectSource } from './duckdb-source-schema.js';

/**
 * The DuckDB offline store: point-in-time joins over Parquet compiled to one DuckDB statement,
 * in an in-memory database that spills to `temp_directory`.
 * @example
 * const store = await DuckDBOfflineStore.create({ repoPath: '/repo', tempDirectory: '/tmp/spill' });
 * const job = await store.getHistoricalFeatures(request);
 * const table = await job.toArrow();
 */
export class DuckDBOfflineStore implements OfflineStore {
  readonly type = 'duckdb';
  private readonly jobs = new Set<DuckDBRetrievalJob>();
  private seq = 0;
  private readonly eventShapes = new WeakMap<FeatureViewSpec, { at: number; shape: EventShape }>();
  /** How equal event times are broken in the join; see ADR 0010. */
  tieBreak: TieBreakStrategy = 'asof-struct';
  /** Rows per batch that retrieval jobs read and yield. */
  batchRows = DEFAULT_BATCH_ROWS;

  private constructor(
    private readonly instance: DuckDBInstance,
    readonly config: DuckDBOfflineStoreConfig,
  ) {}

  /** Opens an in-memory DuckDB with the configured spill folder, memory limit and threads. */
  static async create(config: DuckDBOfflineStoreConfig): Promise<DuckDBOfflineStore> {
    const { mkdir } = await import('node:fs/promises');
    await mkdir(config.tempDirectory, { recursive: true });
    const instance = await DuckDBInstance.create(':memory:', instanceOptions(config));
    return new DuckDBOfflineStore(instance, config);
  }

  /** A new connection, in UTC so that timezone-naive values and strings are read as UTC. */
  async connect(): Promise<DuckDBConnection> {
    const conn = await this.instance.connect();
    await conn.run(`SET TimeZone = 'UTC'`);
    return conn;
  }

  /** Runs `fn` on a fresh connection that is closed afterwards. */
  private async withConnection<T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    const conn = await this.connect();
    try {
      return await fn(conn);
    } finally {
      conn.closeSync();
    }
  }

  /** Plans a point-in-time join (entity rows loaded, sources checked) and returns a job that runs it when read. */
  async getHistoricalFeatures(request: HistoricalRequest): Promise<DuckDBRetrievalJob> {
    const conn = await this.connect();
    try {
      const keyTypes = new Map<string, ValueType>();
      for (const rv of request.resolved.views)
        for (const k of rv.view.entityColumns) if (!keyTypes.has(k.name)) keyTypes.set(k.name, k.dtype);
      const sources = (request.sources ?? request.resolved.views.map((rv) => rv.view.source)).flatMap((s) =>
        s.type === 'file' ? [s] : s.type === 'push' || s.type === 'stream' ? [s.batchSource] : [],
      );
      const entity = await loadEntities(conn, request.entities, {
        timestampColumn: request.timestampColumn,
        keyTypes,
        repoPath: this.config.repoPath,
        sources,
        table: `__frec_entities_${++this.seq}`,
      });
      const shapes = [];
      for (const rv of request.resolved.views) {
        if (rv.view.tiling) {
          // Aggregation views are evaluated at each entity row's time into a table the join then reads exactly.
          const events = await inspectEvents(conn, rv.view, this.config.repoPath);
          if (!events.empty) await checkAggregationSource(conn, rv.view, events);
          const table = `__frec_agg_${++this.seq}`;
          const features = [...rv.features, ...rv.hiddenFeatures];
          await historicalAggregates(conn, rv.view, events, { ...entity, timestampColumn: request.timestampColumn }, features, table);
          shapes.push({ from: table, columns: new Map<string, string>(), aggregated: true });
          continue;
        }
        const shape = await inspectSource(conn, rv.view, this.config.repoPath);
        await checkSourceSchema(conn, rv.view, shape);
        shapes.push(shape);
      }
      const plan = planHistorical(request, entity, shapes);
      const sql = compilePointInTimeJoin({ ...plan.join, tieBreak: this.tieBreak });
      const metadata = await this.metadataOf(
        conn,
        entity.from,
        request.timestampColumn,
        entity.columns.get(request.timestampColumn)!,
        plan.featureNames,
      );
      const job = new DuckDBRetrievalJob(
        conn,
        sql,
        plan,
        request,
        metadata,
        (j) => this.jobs.delete(j),
        () => this.connect(),
        this.batchRows,
      );
      this.jobs.add(job);
      return job;
    } catch (err) {
      conn.closeSync();
      throw offlineStoreError('build the historical retrieval', err);
    }
  }

  /** Min and max entity time; a null entity time is an error, since no point in time can be joined to it. */
  private async metadataOf(
    conn: DuckDBConnection,
    from: string,
    tsColumn: string,
    tsType: string,
    features: string[],
  ): Promise<RetrievalMetadata> {
    const ts = asUtcTimestamp(ident(tsColumn), tsType);
    const [row] = await queryRows(
      conn,
      `SELECT min(${ts}) AS lo, max(${ts}) AS hi, count(*) FILTER (WHERE ${ts} IS NULL) AS nulls FROM ${from}`,
    );
    if (Number(row?.nulls ?? 0) > 0) {
      throw new RequestError(
        ErrorCode.INVALID_ENTITY_ROWS,
        `${Number(row!.nulls)} entity rows have no value in timestamp column '${tsColumn}'.`,
        {
          where: { column: tsColumn },
          hint: 'Give every entity row an event time.',
        },
      );
    }
    return { features, minEventTimestamp: (row?.lo as Date | null) ?? null, maxEventTimestamp: (row?.hi as Date | null) ?? null };
  }

  /** Streams the latest row per entity key with event time in [start, end), for materialization. */
  async *pullLatest(view: FeatureViewSpec, start: Date, end: Date, options: { batchSize?: number } = {}): AsyncGenerator<PulledBatch> {
    const conn = await this.connect();
    try {
      const shape = await inspectSource(conn, view, this.config.repoPath);
      await checkSourceSchema(conn, view, shape);
      const of = await keyPartsFor(conn, shape, this.config.pullPassRows ?? DEFAULT_PASS_ROWS);
      const passes = Array.from({ length: of }, (_, index) => compilePullLatest(view, shape, start, end, { index, of }));
      yield* streamPulled(conn, view, passes, options.batchSize ?? 10_000);
    } finally {
      conn.closeSync();
    }
  }

  /** The number of rows pullLatest will return for the interval (materialization shows it as progress total). */
  async countLatest(view: FeatureViewSpec, start: Date, end: Date): Promise<number> {
    return this.withConnection(async (conn) => {
      const shape = await inspectSource(conn, view, this.config.repoPath);
      await checkSourceSchema(conn, view, shape);
      // Counted per key part too: DISTINCT over every key at once would hold them all.
      const of = await keyPartsFor(conn, shape, this.config.pullPassRows ?? DEFAULT_PASS_ROWS);
      let n = 0;
      for (let index = 0; index < of; index++) {
        const [row] = await queryRows(conn, compileCountLatest(view, shape, start, end, { index, of }));
        n += Number(row?.n ?? 0);
      }
      return n;
    });
  }

  /**
   * The files of a view's source with their sizes and modification times, hashed; null for a
   * remote source (no cheap stat), so materialization never skips on a guess.
   */
  async sourceFingerprint(view: FeatureViewSpec): Promise<string | null> {
    const glob = sourceGlob(batchSourceOf(view), this.config.repoPath);
    if (/^[a-z0-9]+:\/\//i.test(glob)) return null;
    const files = await this.withConnection((conn) => queryRows(conn, `SELECT file FROM glob(${literal(glob)}) ORDER BY file`));
    const h = createHash('sha256');
    for (const { file } of files) {
      const st = await stat(String(file)).catch(() => null);
      h.update(`${String(file)}\0${st ? `${st.size}:${st.mtimeMs}` : 'gone'}\n`);
    }
    return `${files.length}:${h.digest('hex').slice(0, 32)}`;
  }

  /** Checks a view's Parquet schema against its declaration (a push or stream source without files yet passes) and that a push source's batch path takes appended files. */
  async validateSource(view: FeatureViewSpec): Promise<void> {
    // A push source must take pushed rows offline: refuse its definition now rather than fail every push with to: offline.
    if (view.source.type === 'push') checkAppendable(view.source.batchSource, view, this.config.repoPath);
    await this.withConnection(async (conn) => {
      if (view.tiling) {
        const events = await inspectEvents(conn, view, this.config.repoPath);
        if (!events.empty) await checkAggregationSource(conn, view, events);
        return;
      }
      const shape = await inspectSource(conn, view, this.config.repoPath);
      // A push or stream source with no file yet has nothing to check.
      if (shape.empty) return;
      await checkSourceSchema(conn, view, shape);
    });
  }

  /** An aggregation view's tiles of the events in [start, end), per entity, tiled day by day (see duckdb-aggregations.ts). */
  async *pullTiles(
    view: FeatureViewSpec,
    start: Date,
    end: Date,
    options: { batchSize?: number; onProgress?: (p: TileProgress) => void } = {},
  ): AsyncGenerator<TileBatch> {
    const conn = await this.connect();
    try {
      const events = await inspectEvents(conn, view, this.config.repoPath);
      if (!events.empty) await checkAggregationSource(conn, view, events);
      yield* pullTiles(conn, view, events, start, end, { ...options, table: `__frec_tiles_${++this.seq}` });
    } finally {
      conn.closeSync();
    }
  }

  /** The tiles of one batch of stream events, by the batch path's statement. */
  async tileEvents(view: FeatureViewSpec, events: readonly TileEvent[]): Promise<TileBatch> {
    return this.withConnection(async (conn) => {
      // The source's schema, looked up again every 30 s rather than for every batch.
      let hit = this.eventShapes.get(view);
      if (!hit || Date.now() - hit.at > 30_000)
        this.eventShapes.set(view, (hit = { at: Date.now(), shape: await inspectEvents(conn, view, this.config.repoPath) }));
      const shape = hit.shape;
      return tileEvents(conn, view, shape, events, `__frec_batch_${++this.seq}`);
    });
  }

  /** Appends rows to a source's Parquet folder as date-partitioned files, atomically; see docs/offline-store.md. */
  async appendRows(source: FileSourceSpec, view: FeatureViewSpec, rows: ReadonlyArray<Record<string, unknown>>): Promise<void> {
    await this.withConnection((conn) => appendRows(conn, this.config.repoPath, source ?? batchSourceOf(view), view, rows));
  }

  /** Merges the files `appendRows` wrote into one per date folder, so reads stop paying per file (ADR 0011). */
  async compact(source: FileSourceSpec, options: { minFiles?: number } = {}): Promise<CompactResult> {
    return this.withConnection((conn) => compactAppended(conn, this.config.repoPath, source, options));
  }

  /** Closes every open retrieval job and the database. */
  async close(): Promise<void> {
    await Promise.all([...this.jobs].map((j) => j.close()));
    this.instance.closeSync();
  }
}
