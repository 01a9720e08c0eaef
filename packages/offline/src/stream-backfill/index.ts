/** The DuckDB backfill of stream feature views (`@frec/offline/stream-backfill`). */
export { backfillStreamView, type StreamBackfillOptions, type StreamBackfillResult } from './duckdb-stream-backfill.js';
