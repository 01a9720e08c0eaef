import { ErrorCode, FrecError, StoreError, type FrecErrorOptions } from '@frec/core';

/** A source's Parquet files lack a column a view declares, or hold it with an incompatible type. */
export class SourceSchemaMismatchError extends FrecError {
  constructor(message: string, options: FrecErrorOptions = {}) {
    super(ErrorCode.SOURCE_SCHEMA_MISMATCH, message, options);
    this.name = 'SourceSchemaMismatchError';
  }
}

/** A source's path or glob matches no file. */
export class SourceNotFoundError extends FrecError {
  constructor(message: string, options: FrecErrorOptions = {}) {
    super(ErrorCode.SOURCE_NOT_FOUND, message, options);
    this.name = 'SourceNotFoundError';
  }
}

/** Wraps a DuckDB failure in a StoreError that keeps the engine's message and the statement's purpose. */
export function offlineStoreError(what: string, err: unknown, where: FrecErrorOptions['where'] = {}): FrecError {
  if (err instanceof FrecError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  return new StoreError(ErrorCode.OFFLINE_STORE_ERROR, `Offline store failed to ${what}: ${msg}`, { where, cause: err });
}
