import path from 'node:path';
import type { FeatureViewSpec, FileSourceSpec } from '@frec/core';

const GLOB_CHARS = /[*?[{]/;

/** The Parquet file source a view reads offline: the file source itself, or a push/stream source's batch source. */
export function batchSourceOf(view: FeatureViewSpec): FileSourceSpec {
  const s = view.source;
  return s.type === 'file' ? s : s.batchSource;
}

/** Whether a view's rows arrive by push or stream, so its offline files may not exist yet. */
export function mayBeEmpty(view: FeatureViewSpec): boolean {
  return view.source.type !== 'file';
}

/**
 * The path or glob DuckDB reads for a source, relative paths resolved against the repo folder.
 * A path naming a folder (no extension, no glob) reads every Parquet file below it.
 */
export function sourceGlob(source: FileSourceSpec, repoPath: string): string {
  const p = /^[a-z0-9]+:\/\//i.test(source.path) || path.isAbsolute(source.path) ? source.path : path.join(repoPath, source.path);
  if (!GLOB_CHARS.test(p) && !/\.parquet$/i.test(p)) return path.join(p, '**', '*.parquet');
  return p;
}

/**
 * The folder appended batches go to: the part of the glob before its first wildcard.
 * Returns undefined for a single-file path, which cannot take new files.
 */
export function appendRoot(source: FileSourceSpec, repoPath: string): string | undefined {
  const g = sourceGlob(source, repoPath);
  const i = g.search(GLOB_CHARS);
  if (i < 0) return undefined;
  const dir = g.slice(0, i);
  return dir.endsWith(path.sep) ? dir.slice(0, -1) : path.dirname(dir);
}

/** The source column holding a view column: field mappings rename source columns to view names. */
export function sourceColumn(source: FileSourceSpec, viewColumn: string): string {
  for (const [from, to] of Object.entries(source.fieldMapping)) if (to === viewColumn) return from;
  return viewColumn;
}
