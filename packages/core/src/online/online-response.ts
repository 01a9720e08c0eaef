import type { FrecError } from '../errors.js';
import { isSupportedTimeMs } from '../time-range.js';
import type { FeatureValue } from '../value-types.js';

/** Per-value status, named as Feast names them. */
export type FeatureStatus = 'PRESENT' | 'NOT_FOUND' | 'OUTSIDE_MAX_AGE' | 'NULL_VALUE';

/** A row-level problem that did not fail the request: a corrupt stored row for one entity. */
export interface OnlineRowError {
  /** Index of the entity row. */
  row: number;
  featureView: string;
  error: FrecError;
}

/**
 * The result of getOnlineFeatures, column by column as Feast returns it: join keys first, then
 * features in request order. `values[c][r]` is column `c` of entity row `r`. Columns may share
 * arrays (statuses of one view, event times) to keep the hot path allocation-free: treat them as read-only.
 */
export class OnlineFeaturesResponse {
  constructor(
    /** Column names: join keys, then features (`view__feature` with fullFeatureNames). */
    readonly featureNames: string[],
    /** One array per column, one value per entity row. */
    readonly values: FeatureValue[][],
    /** One array per column: PRESENT, NOT_FOUND, OUTSIDE_MAX_AGE or NULL_VALUE per entity row. */
    readonly statuses: FeatureStatus[][],
    /** One array per column: the value's event time in epoch ms per row (0 for join keys, absent values and on-demand features). */
    readonly eventTimestamps: ArrayLike<number>[],
    /** Entities whose stored row could not be read (their values are null and NOT_FOUND); the rest of the request is served. */
    readonly errors: OnlineRowError[] = [],
  ) {}

  /** Number of entity rows. */
  get rowCount(): number {
    return this.values[0]?.length ?? 0;
  }

  /** Values as one object per entity row, keyed by column name. */
  toRows(): Array<Record<string, FeatureValue>> {
    const n = this.rowCount;
    const rows = new Array<Record<string, FeatureValue>>(n);
    for (let r = 0; r < n; r++) {
      const row: Record<string, FeatureValue> = {};
      for (let c = 0; c < this.featureNames.length; c++) row[this.featureNames[c]!] = this.values[c]![r]!;
      rows[r] = row;
    }
    return rows;
  }

  /** Values as one array per column, keyed by column name. */
  toColumns(): Record<string, FeatureValue[]> {
    const out: Record<string, FeatureValue[]> = {};
    this.featureNames.forEach((name, c) => {
      out[name] = this.values[c]!;
    });
    return out;
  }

  /** The Feast-shaped JSON body: metadata.feature_names and results[{values, statuses, event_timestamps}]. */
  toJSON(): {
    metadata: { feature_names: string[] };
    results: Array<{ values: FeatureValue[]; statuses: FeatureStatus[]; event_timestamps: string[] }>;
  } {
    return {
      metadata: { feature_names: this.featureNames },
      results: this.featureNames.map((_, c) => ({
        values: this.values[c]!,
        statuses: this.statuses[c]!,
        event_timestamps: Array.from(this.eventTimestamps[c]!, (t) => (isSupportedTimeMs(t) ? new Date(t) : new Date(0)).toISOString()),
      })),
    };
  }
}
