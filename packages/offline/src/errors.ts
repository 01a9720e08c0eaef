import { FrecError, StoreError, type FrecErrorOptions } from '@frec/core';

/** The codes the offline store raises, beside core's. */
export const OfflineErrorCode = {
  SOURCE_SCHEMA_MISMATCH: 'SOURCE_SCHEMA_MISMATCH',
  SOURCE_NOT_FOUND: 'SOURCE_NOT_FOUND',
  OFFLINE_STORE_ERROR: 'OFFLINE_STORE_ERROR',
  /** A push source's batch source is a single file or a glob appended files would not match. */
  SOURCE_NOT_APPENDABLE: 'SOURCE_NOT_APPENDABLE',
} as const;
/** One of the offline store's error codes. */
export type OfflineErrorCode = (typeof OfflineErrorCode)[keyof typeof OfflineErrorCode];

/** A source's Parquet files lack a column a view declares, or hold it with an incompatible type. */
export class SourceSchemaMismatchError extends FrecError {
  constructor(message: string, options: FrecErrorOptions = {}) {
    super(OfflineErrorCode.SOURCE_SCHEMA_MISMATCH, message, options);
    this.name = 'SourceSchemaMismatchError';
  }
}

/** A source's path or glob matches no file. */
export class SourceNotFoundError extends FrecError {
  constructor(message: string, options: FrecErrorOptions = {}) {
    super(OfflineErrorCode.SOURCE_NOT_FOUND, message, options);
    this.name = 'SourceNotFoundError';
  }
}

/** Wraps a DuckDB failure in a StoreError that keeps the engine's message and the statement's purpose. */
export function offlineStoreError(what: string, err: unknown, where: FrecErrorOptions['where'] = {}): FrecError {
  if (err instanceof FrecError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  return new StoreError(OfflineErrorCode.OFFLINE_STORE_ERROR, `Offline store failed to ${what}: ${msg}`, {
    where,
    cause: err,
    httpStatus: 500,
  });
}
