import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';

/** `offline_store:` with `type: duckdb`: DuckDB over Parquet files (the default). */
export const duckdbOfflineStoreConfigSchema = z
  .object({
    type: z.literal('duckdb'),
    /** Where DuckDB spills when a join does not fit in memory. */
    temp_directory: z.string().optional(),
    /** DuckDB memory limit, e.g. '4GB'. */
    memory_limit: z.string().optional(),
    threads: z.number().int().positive().optional(),
    /** Source rows one materialization pass holds at most; a larger view is pulled in several passes (default 750,000). */
    pull_pass_rows: z.number().int().positive().optional(),
    /** Folder that offline pushes append Parquet files to, when a push source has no batch path of its own. */
    push_directory: z.string().default('data/pushed'),
  })
  .strict();
/** The `offline_store` section when `type: duckdb`, defaults filled in. */
export type DuckDBOfflineStoreSection = z.infer<typeof duckdbOfflineStoreConfigSchema>;

/** DuckDB settings the store runs with. */
export interface DuckDBOfflineStoreConfig {
  /** Folder the feature repo lives in; relative source paths are read from here. */
  repoPath: string;
  /** Where DuckDB spills joins and sorts that do not fit in memory. */
  tempDirectory: string;
  /** DuckDB memory limit such as '4GB'; DuckDB's default (80% of RAM) when absent. */
  memoryLimit?: string | undefined;
  threads?: number | undefined;
  /** Source rows one pull-latest pass holds at most (DEFAULT_PASS_ROWS when absent). */
  pullPassRows?: number | undefined;
}

/** The store's settings from its section; a relative temp directory is resolved against the repo. */
export function duckdbConfigOf(
  section: Omit<DuckDBOfflineStoreSection, 'type' | 'push_directory'>,
  repoPath: string,
): DuckDBOfflineStoreConfig {
  const temp = section.temp_directory
    ? path.isAbsolute(section.temp_directory)
      ? section.temp_directory
      : path.join(repoPath, section.temp_directory)
    : path.join(os.tmpdir(), 'frec-duckdb-spill');
  return {
    repoPath,
    tempDirectory: temp,
    memoryLimit: section.memory_limit,
    threads: section.threads,
    pullPassRows: section.pull_pass_rows,
  };
}

/** The options DuckDBInstance.create takes. */
export function instanceOptions(c: DuckDBOfflineStoreConfig): Record<string, string> {
  const opts: Record<string, string> = { temp_directory: c.tempDirectory };
  if (c.memoryLimit) opts.memory_limit = c.memoryLimit;
  if (c.threads) opts.threads = String(c.threads);
  return opts;
}
