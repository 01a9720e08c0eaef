import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { fileSource } from '@frec/core';
import { DuckDBOfflineStore } from '../../src/index.js';
import type { ColumnType, OfflineStoreHarness, SourceTable } from './offline-store-conformance.js';

const SQL_TYPES: Record<ColumnType, string> = { int64: 'BIGINT', float64: 'DOUBLE', string: 'VARCHAR', timestamp: 'TIMESTAMP' };

function literal(value: unknown, type: ColumnType): string {
  if (value === null || value === undefined) return `NULL::${SQL_TYPES[type]}`;
  if (type === 'timestamp') return `TIMESTAMP '${(value as Date).toISOString().replace('T', ' ').replace('Z', '')}'`;
  if (type === 'string') return `'${String(value).replaceAll("'", "''")}'`;
  return `${Number(value)}::${SQL_TYPES[type]}`;
}

/** The DuckDB engine: source tables are Parquet files in a temp repo, written by a separate DuckDB. */
export async function duckdbHarness(): Promise<OfflineStoreHarness> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'frec-offline-conformance-'));
  const store = await DuckDBOfflineStore.create({ repoPath: dir, tempDirectory: path.join(dir, '.spill'), threads: 2, memoryLimit: '1GB' });
  const writer = await (await DuckDBInstance.create(':memory:')).connect();
  return {
    store,
    async source(name: string, table: SourceTable, options) {
      const cols = Object.entries(table.columns);
      const values = table.rows.map((r) => `(${cols.map(([c, t]) => literal(r[c], t)).join(', ')})`).join(',\n');
      await writer.run(
        `COPY (SELECT * FROM (VALUES ${values}) v(${cols.map(([c]) => c).join(', ')})) TO '${path.join(dir, `${name}.parquet`)}' (FORMAT parquet)`,
      );
      return fileSource({ name, path: `${name}.parquet`, ...options });
    },
    appendTarget(name, options) {
      return fileSource({ name, path: `data/pushed/${name}/**/*.parquet`, ...options });
    },
    async dispose() {
      await store.close();
      writer.closeSync();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
