import { ErrorCode, FrecError } from '@frec/core';

/** An ANN index could not be loaded: missing (ANN_INDEX_NOT_FOUND) or failing its checksum or format (ANN_INDEX_CORRUPT). */
export class AnnIndexError extends FrecError {
  constructor(
    code: typeof ErrorCode.ANN_INDEX_CORRUPT | typeof ErrorCode.ANN_INDEX_NOT_FOUND,
    message: string,
    where: Record<string, string>,
    hint: string,
    cause?: unknown,
  ) {
    super(code, message, { where, hint, cause });
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
