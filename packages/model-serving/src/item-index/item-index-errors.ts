import { ErrorCode, FrecError } from '@frec/core';

/** The codes the item index raises, beside core's. */
export const AnnErrorCode = {
  ANN_INDEX_CORRUPT: 'ANN_INDEX_CORRUPT',
  ANN_INDEX_NOT_FOUND: 'ANN_INDEX_NOT_FOUND',
} as const;
/** One of the item index's error codes. */
export type AnnErrorCode = (typeof AnnErrorCode)[keyof typeof AnnErrorCode];

/** An ANN index could not be loaded: missing (ANN_INDEX_NOT_FOUND) or failing its checksum or format (ANN_INDEX_CORRUPT). */
export class AnnIndexError extends FrecError {
  constructor(code: AnnErrorCode, message: string, where: Record<string, string>, hint: string, cause?: unknown) {
    // A missing or corrupt index is the server's problem, not the caller's: 503 until it is fixed.
    super(code, message, { where, hint, cause, httpStatus: 503 });
    this.name = 'AnnIndexError';
  }
}

/** Bad arguments to an index build or search (shape, k, ids). */
export class AnnInputError extends FrecError {
  constructor(message: string, where: Record<string, string | number>, hint: string) {
    super(ErrorCode.INVALID_REQUEST, message, { where, hint });
    this.name = 'AnnInputError';
  }
}
