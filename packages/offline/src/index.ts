/**
 * @frec/offline: the DuckDB offline store. Importing it registers the `duckdb` plugin as an
 * `offline_store.type` (list '@frec/offline' under `plugins:` in feature_store.yaml, or import it).
 */
import { registerPlugin } from '@frec/core/spi';
import { duckdbOfflineStore } from './duckdb/duckdb-offline-store-plugin.js';

registerPlugin(duckdbOfflineStore);

export { duckdbOfflineStore };

export { DuckDBOfflineStore } from './duckdb/duckdb-offline-store.js';
export type { CompactResult } from './duckdb/duckdb-compact.js';
export { DuckDBRetrievalJob, DEFAULT_BATCH_ROWS } from './duckdb/duckdb-retrieval-job.js';
export {
  duckdbConfigOf,
  duckdbOfflineStoreConfigSchema,
  type DuckDBOfflineStoreConfig,
  type DuckDBOfflineStoreSection,
} from './duckdb/duckdb-offline-store-config.js';
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
