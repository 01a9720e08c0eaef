import type { FeatureViewSpec, FileSourceSpec } from '../definitions/specs.js';
import type { ResolvedFeatures } from '../feature-refs.js';
import type { DataSourceSpec, OnDemandFeatureViewSpec } from '../definitions/specs.js';
import type { Transform } from '../definitions/on-demand-feature-view.js';
import type { TileState } from '../aggregations/tiles.js';

/** Entity states of an aggregation view, as the tile engine computes them. */
export interface TileBatch {
  keys: Array<Array<string | number>>;
  states: TileState[];
}

/** Progress of a tile computation: a day tiled (ISO date, k of n). */
export interface TileProgress {
  phase: 'tiling';
  day: string;
  done: number;
  total: number;
}

/** One stream event for `tileEvents`: its entity key, time (epoch ms) and raw fields. */
export interface TileEvent {
  key: ReadonlyArray<string | number>;
  timeMs: number;
  values: Record<string, unknown>;
}

/**
 * Entity rows for historical retrieval: plain objects, a Parquet path or glob, a SQL query
 * over registered sources, or an Arrow table (apache-arrow `Table`).
 */
export type EntityInput = ReadonlyArray<Record<string, unknown>> | { parquet: string } | { sql: string } | { arrow: unknown };

export interface HistoricalRequest {
  entities: EntityInput;
  resolved: ResolvedFeatures;
  fullFeatureNames: boolean;
  /** Name of the entity rows' timestamp column (default 'event_timestamp'). */
  timestampColumn: string;
  /** Transforms for the requested on-demand views, the same functions the online path runs. */
  transforms: ReadonlyMap<string, Transform>;
  odfvSpecs: ReadonlyMap<string, OnDemandFeatureViewSpec>;
  /** Every registered data source, so an entity SQL query can name them as tables (default: the requested views' sources). */
  sources?: ReadonlyArray<DataSourceSpec>;
}

/** A retrieval job: the result of a historical request, readable in several forms. */
export interface RetrievalJob {
  /** The whole result as an apache-arrow Table. */
  toArrow(): Promise<unknown>;
  /** The result in Arrow record batches, holding a bounded number of rows in memory at once. */
  toArrowBatches(): AsyncIterable<unknown>;
  /** Writes the result to a Parquet file. */
  toParquet(path: string): Promise<void>;
  /** The result as plain objects. */
  toRows(): Promise<Array<Record<string, unknown>>>;
  readonly metadata: RetrievalMetadata;
  /** Frees what the job holds (its connection, the loaded entity rows); reading afterwards fails. */
  close?(): Promise<void>;
}

export interface RetrievalMetadata {
  features: string[];
  minEventTimestamp: Date | null;
  maxEventTimestamp: Date | null;
}

/** A batch of latest rows pulled for materialization. Times are epoch milliseconds. */
export interface PulledBatch {
  keys: Array<Array<string | number>>;
  /** Column-major feature values: one array per feature, aligned with `keys`. */
  columns: Record<string, unknown[]>;
  eventTimeMs: number[];
  createdTimeMs: number[];
}

/**
 * An OfflineStore builds point-in-time-correct training sets and pulls the latest values for materialization.
 */
export interface OfflineStore {
  readonly type: string;
  getHistoricalFeatures(request: HistoricalRequest): Promise<RetrievalJob>;
  /** The latest row per entity key with event time in [start, end), in batches. */
  pullLatest(view: FeatureViewSpec, start: Date, end: Date, options?: { batchSize?: number }): AsyncIterable<PulledBatch>;
  /**
   * A cheap identity of what a view's source holds now (its files, sizes and modification times),
   * equal between two calls only if the source did not change; null when the store cannot tell.
   * Materialization skips a window already materialized from the same source (optional).
   */
  sourceFingerprint?(view: FeatureViewSpec): Promise<string | null>;
  /** Checks that a file source holds the columns a view declares, with compatible types. */
  validateSource(view: FeatureViewSpec): Promise<void>;
  /** Appends rows to a source's offline storage (push to offline); they are readable at once. */
  appendRows(source: FileSourceSpec, view: FeatureViewSpec, rows: ReadonlyArray<Record<string, unknown>>): Promise<void>;
  /**
   * Aggregation views: the tiles of the events with time in [start, end), per entity, pruned to
   * what a read at or after the entity's newest event reaches. Needed to materialize them.
   */
  pullTiles?(
    view: FeatureViewSpec,
    start: Date,
    end: Date,
    options?: { batchSize?: number; onProgress?: (p: TileProgress) => void },
  ): AsyncIterable<TileBatch>;
  /** Aggregation views: the tiles of one batch of stream events (in arrival order), by the same code as `pullTiles`. */
  tileEvents?(view: FeatureViewSpec, events: readonly TileEvent[]): Promise<TileBatch>;
  close(): Promise<void>;
}
