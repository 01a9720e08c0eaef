import { randomUUID } from 'node:crypto';
import { readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { StoreError, type FileSourceSpec } from '@frec/core';
import { appendRoot } from '../file-source.js';
import { literal, readParquet } from '../sql.js';
import { OfflineErrorCode } from '../errors.js';

/** What a compaction did: partitions rewritten, files before and after. */
export interface CompactResult {
  partitions: number;
  filesBefore: number;
  filesAfter: number;
}

/**
 * Merges each `date=…` folder's appended part files into one file. The merged file is renamed
 * into place before the old parts are deleted, so a reader in between sees every row twice,
 * identically, which the point-in-time join and pullLatest resolve to the same values. Files
 * appended while compaction runs are not touched.
 */
export async function compactAppended(
  conn: DuckDBConnection,
  repoPath: string,
  source: FileSourceSpec,
  options: { minFiles?: number } = {},
): Promise<CompactResult> {
  const root = appendRoot(source, repoPath);
  if (root === undefined) {
    throw new StoreError(
      OfflineErrorCode.OFFLINE_STORE_ERROR,
      `Source '${source.name}' has a single-file path '${source.path}'; there is nothing to compact.`,
      {
        where: { source: source.name },
      },
    );
  }
  const minFiles = options.minFiles ?? 2;
  const result: CompactResult = { partitions: 0, filesBefore: 0, filesAfter: 0 };
  const dirs = await readdir(root, { withFileTypes: true }).catch(() => []);
  for (const d of dirs) {
    if (!d.isDirectory() || !d.name.startsWith('date=')) continue;
    const folder = path.join(root, d.name);
    const parts = (await readdir(folder)).filter((f) => /^part-.*\.parquet$/.test(f)).map((f) => path.join(folder, f));
    result.filesBefore += parts.length;
    if (parts.length < minFiles) {
      result.filesAfter += parts.length;
      continue;
    }
    const file = path.join(folder, `part-${randomUUID()}.parquet`);
    const tmp = path.join(folder, `.${path.basename(file)}.tmp`);
    try {
      await conn.run(`COPY (SELECT * EXCLUDE (date) FROM ${readParquet(parts)}) TO ${literal(tmp)} (FORMAT parquet)`);
      await rename(tmp, file);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    await Promise.all(parts.map((p) => rm(p, { force: true })));
    result.partitions++;
    result.filesAfter++;
  }
  return result;
}
