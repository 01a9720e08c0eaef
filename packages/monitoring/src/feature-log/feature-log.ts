import { z } from 'zod';
import { ParquetLogWriter, type LogColumn } from '../parquet-log/parquet-log-writer.js';

/** The feature log's columns, as docs/monitoring-contract.md fixes them. */
export const FEATURE_LOG_COLUMNS: readonly LogColumn[] = [
  { name: 'request_id', type: 'VARCHAR' },
  { name: 'served_at', type: 'TIMESTAMPTZ' },
  { name: 'service', type: 'VARCHAR' },
  { name: 'feature', type: 'VARCHAR' },
  { name: 'entity_key', type: 'VARCHAR' },
  { name: 'value_num', type: 'DOUBLE' },
  { name: 'value_str', type: 'VARCHAR' },
  { name: 'status', type: 'VARCHAR' },
];

/** Where the feature log goes unless configured. */
export const DEFAULT_FEATURE_LOG_DIR = 'data/monitoring/feature-log';

/** `feature_server.feature_logging` in feature_store.yaml: off unless the section is there with a rate above 0. */
export const featureLoggingConfigSchema = z
  .object({
    /** Fraction of requests logged, 0..1. */
    sample_rate: z.number().min(0).max(1).default(0.01),
    /** Folder of `date=YYYY-MM-DD/` partitions, relative to the repo. */
    path: z.string().min(1).default(DEFAULT_FEATURE_LOG_DIR),
    /** Rows buffered before a Parquet file is written. */
    flush_rows: z.number().int().positive().default(10_000),
    /** Longest a row waits before it is written, in seconds. */
    flush_interval_seconds: z.number().positive().default(60),
  })
  .strict();
/** A parsed `feature_logging` section. */
export type FeatureLoggingConfig = z.infer<typeof featureLoggingConfigSchema>;

/** Options of a feature logger. */
export interface FeatureLoggerOptions {
  dir: string;
  sampleRate: number;
  /** Names the process in file names (e.g. 'feature-server', 'recommender'). */
  writer: string;
  flushRows?: number;
  flushIntervalMs?: number;
  /** Random source in [0, 1), seeded in tests. */
  random?: () => number;
  onError?: (err: unknown) => void;
}

/** One logged value: the contract's value_num / value_str split. */
function split(v: unknown): { value_num: number | null; value_str: string | null } {
  if (v === null || v === undefined) return { value_num: null, value_str: null };
  if (typeof v === 'number') return { value_num: v, value_str: null };
  if (typeof v === 'bigint') return { value_num: Number(v), value_str: null };
  if (typeof v === 'string') return { value_num: null, value_str: v };
  if (typeof v === 'boolean') return { value_num: null, value_str: String(v) };
  // Arrays are logged as their length, not binned.
  if (Array.isArray(v) || ArrayBuffer.isView(v)) return { value_num: (v as ArrayLike<unknown>).length, value_str: null };
  if (v instanceof Date) return { value_num: v.getTime(), value_str: null };
  return { value_num: null, value_str: JSON.stringify(v) };
}

/**
 * Logs a sample of served feature values to Parquet (docs/monitoring-contract.md): one row per
 * entity and feature of a sampled request, batched into files. The sampling decision is one random
 * draw per request, so unsampled requests cost nothing more.
 */
export class FeatureLogger {
  private readonly writer: ParquetLogWriter;
  private readonly random: () => number;

  constructor(readonly options: FeatureLoggerOptions) {
    this.random = options.random ?? Math.random;
    this.writer = new ParquetLogWriter(
      {
        dir: options.dir,
        columns: FEATURE_LOG_COLUMNS,
        timeColumn: 'served_at',
        flushRows: options.flushRows,
        flushIntervalMs: options.flushIntervalMs,
        onError: options.onError,
      },
      options.writer,
    );
  }

  /** True for the requests to log. */
  sample(): boolean {
    return this.options.sampleRate > 0 && this.random() < this.options.sampleRate;
  }

  /**
   * Logs one request's values column by column, as getOnlineFeatures answers: `features[c]` is the
   * 'view:feature' of column c, `values[c][r]` its value for entity row r.
   */
  logColumns(entry: {
    requestId: string;
    servedAt?: Date;
    service: string;
    features: readonly string[];
    entityKeys: readonly string[];
    values: ReadonlyArray<ArrayLike<unknown>>;
    statuses?: ReadonlyArray<ArrayLike<string>>;
  }): void {
    const servedAt = entry.servedAt ?? new Date();
    const rows: Array<Record<string, unknown>> = [];
    entry.features.forEach((feature, c) => {
      const vals = entry.values[c]!;
      for (let r = 0; r < entry.entityKeys.length; r++) {
        const v = vals[r];
        rows.push({
          request_id: entry.requestId,
          served_at: servedAt,
          service: entry.service,
          feature,
          entity_key: entry.entityKeys[r],
          ...split(v),
          status: entry.statuses?.[c]?.[r] ?? (v === null || v === undefined ? 'NULL_VALUE' : 'PRESENT'),
        });
      }
    });
    this.writer.append(rows);
  }

  /** Logs one entity's values by 'view:feature'. */
  logRow(entry: {
    requestId: string;
    servedAt?: Date;
    service: string;
    entityKey: string;
    values: Readonly<Record<string, unknown>>;
    statuses?: Readonly<Record<string, string>>;
  }): void {
    const features = Object.keys(entry.values);
    this.logColumns({
      requestId: entry.requestId,
      servedAt: entry.servedAt,
      service: entry.service,
      features,
      entityKeys: [entry.entityKey],
      values: features.map((f) => [entry.values[f]]),
      statuses: entry.statuses ? features.map((f) => [entry.statuses![f] ?? 'PRESENT']) : undefined,
    });
  }

  /** Written, buffered and dropped row counts. */
  stats(): ReturnType<ParquetLogWriter['stats']> {
    return this.writer.stats();
  }

  flush(): Promise<void> {
    return this.writer.flush();
  }

  close(): Promise<void> {
    return this.writer.close();
  }
}

/** An entity row's key as the log writes it: `join_key=value`, several joined by ','. */
export function entityKeyOf(joinKeys: readonly string[], values: readonly unknown[]): string {
  return joinKeys.map((k, i) => `${k}=${String(values[i])}`).join(',');
}
