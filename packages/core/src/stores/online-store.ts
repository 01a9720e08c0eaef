import type { FeatureViewSpec } from '../definitions/specs.js';
import type { FeatureValue } from '../value-types.js';

/** An entity key: the join-key values of a view's entities, in the view's entity order. */
export type EntityKeyValues = ReadonlyArray<string | number>;

/** One row to write to the online store. Times are epoch milliseconds. */
export interface OnlineWriteRow {
  key: EntityKeyValues;
  values: Record<string, FeatureValue>;
  eventTimeMs: number;
  createdTimeMs?: number;
}

/** Rows to write, column by column (materialization): no object per row. Times are epoch milliseconds. */
export interface OnlineColumnarWrite {
  keys: readonly EntityKeyValues[];
  /** One array per feature of the view, in `view.features` order, aligned with `keys`; values already of the declared types (undefined reads as null). */
  columns: ReadonlyArray<ArrayLike<FeatureValue | undefined>>;
  eventTimeMs: ArrayLike<number>;
  /** Created time per row; a missing one means the time of the write. */
  createdTimeMs?: ArrayLike<number | undefined>;
}

/** One row read back: values by feature name, plus its times. */
export interface OnlineReadRow {
  values: Record<string, FeatureValue>;
  eventTimeMs: number;
  createdTimeMs: number;
}

/** What a read returns per key: a row, null when absent, or an Error for that key alone (a corrupt row). */
export type OnlineReadResult = OnlineReadRow | null | Error;

/** Feature values of many keys laid out by column: what `OnlineStore.readColumnsMany` returns per view. */
export interface OnlineColumnarRead {
  /** `values[f][k]`: feature `features[f]` of key `k`; null when absent or stored as null. */
  values: FeatureValue[][];
  /** Event time (epoch ms) per key; NaN when the key has no row. */
  eventTimeMs: Float64Array;
  /** Created time (epoch ms) per key; NaN when the key has no row. */
  createdTimeMs: Float64Array;
  /** Per key, an Error when that key's stored row could not be decoded (its event time is NaN); undefined when none failed. */
  errors: Array<Error | undefined> | undefined;
  /** Per feature, 0 when the store knows `values[f]` holds no null (getOnlineFeatures then skips its null scan); absent means unknown. */
  nullable?: Uint8Array;
}

/** One view's part of a multi-view read. */
export interface OnlineColumnarRequest {
  view: FeatureViewSpec;
  keys: readonly EntityKeyValues[];
  features: readonly string[];
}

/** Counts of a conditional write. */
export interface OnlineWriteResult {
  /** Rows stored. */
  written: number;
  /** Rows skipped because the store already held a newer event time. */
  skippedOlder: number;
}

/** What an online store holds for one view: its row count and newest event time. */
export interface OnlineViewStats {
  /** Entity keys stored for the view (expired keys a store has not dropped yet may count). */
  rows: number;
  /** Newest event time (epoch ms) of a stored row; null when the view holds none. */
  newestEventTimeMs: number | null;
}

/**
 * An OnlineStore holds the latest feature values per entity key, for low-latency reads.
 * Writes are conditional on event time: an older row never overwrites a newer one.
 */
export interface OnlineStore {
  readonly type: string;
  /** Creates or updates infrastructure for the views being applied, and drops deleted views' data. */
  update(args: { project: string; keep: readonly FeatureViewSpec[]; remove: readonly FeatureViewSpec[] }): Promise<void>;
  /** Writes rows for one view. */
  write(project: string, view: FeatureViewSpec, rows: readonly OnlineWriteRow[]): Promise<OnlineWriteResult>;
  /** Writes rows given column by column, as `write` does; materialization prefers it when a store has it. */
  writeColumns?(project: string, view: FeatureViewSpec, batch: OnlineColumnarWrite): Promise<OnlineWriteResult>;
  /**
   * The one read path: the given features of many keys of several views, straight into columns
   * (one MGET for a whole request on Redis), one result per read, in order. A backend that can
   * only read rows wraps itself with `rowReadAdapter`.
   */
  readColumnsMany(project: string, reads: readonly OnlineColumnarRequest[]): Promise<OnlineColumnarRead[]>;
  /**
   * readColumnsMany for a store that reads in process (SQLite): the result itself when no I/O was
   * needed, else a promise. Optional; serving code uses it to answer without a promise per request.
   */
  readColumnsManyNow?(project: string, reads: readonly OnlineColumnarRequest[]): OnlineColumnarRead[] | Promise<OnlineColumnarRead[]>;
  /**
   * Counts a view's rows and finds its newest event time, for monitoring (the console's freshness
   * page); it may scan the view, so it is never on a request path. Optional for backends.
   */
  stats?(project: string, view: FeatureViewSpec): Promise<OnlineViewStats>;
  /**
   * The mark the last complete materialization of a view left beside its rows (an opaque string),
   * or null. Kept in the store itself, so a store that lost its rows (flushed, torn down, a new
   * server) has lost the mark too and the next run rewrites. Optional: without it every run writes.
   */
  materializationMark?(project: string, view: FeatureViewSpec): Promise<string | null>;
  /** Stores a view's materialization mark (see `materializationMark`); teardown removes it. */
  setMaterializationMark?(project: string, view: FeatureViewSpec, mark: string): Promise<void>;
  /** Removes every stored value of the given views. */
  teardown(args: { project: string; views: readonly FeatureViewSpec[] }): Promise<void>;
  /** Throws a StoreError if the store cannot be reached (readiness checks). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
