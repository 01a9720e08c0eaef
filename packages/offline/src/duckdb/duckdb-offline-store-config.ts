import os from 'node:os';
import path from 'node:path';
import type { RepoConfig } from '@frec/core';

/** DuckDB settings taken from `offline_store` in feature_store.yaml. */
export interface DuckDBOfflineStoreConfig {
  /** Folder the feature repo lives in; relative source paths are read from here. */
  repoPath: string;
  /** Where DuckDB spills joins and sorts that do not fit in memory. */
  tempDirectory: string;
  /** DuckDB memory limit such as '4GB'; DuckDB's default (80% of RAM) when absent. */
  memoryLimit?: string | undefined;
  threads?: number | undefined;
}

/** Reads the DuckDB settings from a repo config; a relative temp directory is resolved against the repo. */
export function duckdbConfigOf(config: RepoConfig): DuckDBOfflineStoreConfig {
  const o = config.offline_store;
  const temp = o.temp_directory
    ? path.isAbsolute(o.temp_directory)
      ? o.temp_directory
      : path.join(config.repoPath, o.temp_directory)
    : path.join(os.tmpdir(), 'frec-duckdb-spill');
  return { repoPath: config.repoPath, tempDirectory: temp, memoryLimit: o.memory_limit, threads: o.threads };
}

/** The options DuckDBInstance.create takes. */
export function instanceOptions(c: DuckDBOfflineStoreConfig): Record<string, string> {
  const opts: Record<string, string> = { temp_directory: c.tempDirectory };
  if (c.memoryLimit) opts.memory_limit = c.memoryLimit;
  if (c.threads) opts.threads = String(c.threads);
  return opts;
}
