import { ParquetLogWriter, type LogColumn } from '../parquet-log/parquet-log-writer.js';

/** The impression log's columns (docs/monitoring-contract.md): one row per item of a served list. */
export const IMPRESSION_LOG_COLUMNS: readonly LogColumn[] = [
  { name: 'request_id', type: 'VARCHAR' },
  { name: 'served_at', type: 'TIMESTAMPTZ' },
  { name: 'user_id', type: 'VARCHAR' },
  { name: 'item_id', type: 'VARCHAR' },
  { name: 'position', type: 'INTEGER' },
  { name: 'score', type: 'DOUBLE' },
  { name: 'model_version', type: 'VARCHAR' },
  { name: 'arm', type: 'VARCHAR' },
  { name: 'level', type: 'VARCHAR' },
];

/** Where the impression log goes unless configured. */
export const DEFAULT_IMPRESSION_LOG_DIR = 'data/monitoring/impressions';

/** One served list, as the recommender logs it. */
export interface ServedList {
  requestId: string;
  servedAt?: Date;
  userId: string | number;
  items: ReadonlyArray<{ itemId: string | number; score: number }>;
  modelVersion: string;
  /** 'production' or 'candidate' (canary); default 'production'. */
  arm?: string;
  /** The response's degradation level. */
  level: string;
}

/**
 * Logs what the recommender served (a sample of lists, or all with rate 1), for engagement
 * tracking against the interactions that follow.
 */
export class ImpressionLogger {
  private readonly writer: ParquetLogWriter;
  private readonly random: () => number;

  constructor(
    readonly options: {
      dir: string;
      sampleRate?: number;
      writer?: string;
      flushRows?: number;
      flushIntervalMs?: number;
      random?: () => number;
      onError?: (err: unknown) => void;
    },
  ) {
    this.random = options.random ?? Math.random;
    this.writer = new ParquetLogWriter(
      {
        dir: options.dir,
        columns: IMPRESSION_LOG_COLUMNS,
        timeColumn: 'served_at',
        flushRows: options.flushRows,
        flushIntervalMs: options.flushIntervalMs,
        onError: options.onError,
      },
      options.writer ?? 'recommender',
    );
  }

  /** Logs a list when it is sampled; returns whether it was. */
  log(list: ServedList): boolean {
    if (this.random() >= (this.options.sampleRate ?? 1)) return false;
    const servedAt = list.servedAt ?? new Date();
    this.writer.append(
      list.items.map((it, position) => ({
        request_id: list.requestId,
        served_at: servedAt,
        user_id: String(list.userId),
        item_id: String(it.itemId),
        position,
        score: it.score,
        model_version: list.modelVersion,
        arm: list.arm ?? 'production',
        level: list.level,
      })),
    );
    return true;
  }

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
