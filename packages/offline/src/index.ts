/**
 * @frec/offline: the DuckDB offline store. Importing it registers `offline_store: { type: duckdb }`.
 */
import { registerOfflineStore } from '@frec/core';
import { DuckDBOfflineStore } from './duckdb/duckdb-offline-store.js';
import { duckdbConfigOf } from './duckdb/duckdb-offline-store-config.js';

registerOfflineStore('duckdb', (config) => DuckDBOfflineStore.create(duckdbConfigOf(config)));

export { DuckDBOfflineStore } from './duckdb/duckdb-offline-store.js';
export type { CompactResult } from './duckdb/duckdb-compact.js';
export { DuckDBRetrievalJob, DEFAULT_BATCH_ROWS } from './duckdb/duckdb-retrieval-job.js';
export { duckdbConfigOf, type DuckDBOfflineStoreConfig } from './duckdb/duckdb-offline-store-config.js';
export {
  compilePointInTimeJoin,
  ENTITY_ROW_COLUMN,
  type PointInTimeJoin,
  type ViewRead,
  type EntityRelation,
  type TieBreakStrategy,
} from './point-in-time-join.js';
export { SourceSchemaMismatchError, SourceNotFoundError } from './errors.js';
export { sourceGlob, appendRoot, batchSourceOf } from './file-source.js';
