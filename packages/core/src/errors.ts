/**
 * Every error frec raises carries a stable `code` (for scripts and HTTP mapping),
 * a message that says what went wrong and where, and a `hint` that says how to fix it.
 */
export const ErrorCode = {
  INVALID_DEFINITION: 'INVALID_DEFINITION',
  DUPLICATE_NAME: 'DUPLICATE_NAME',
  UNKNOWN_ENTITY: 'UNKNOWN_ENTITY',
  UNKNOWN_FEATURE: 'UNKNOWN_FEATURE',
  UNKNOWN_FEATURE_VIEW: 'UNKNOWN_FEATURE_VIEW',
  UNKNOWN_FEATURE_SERVICE: 'UNKNOWN_FEATURE_SERVICE',
  UNKNOWN_SOURCE: 'UNKNOWN_SOURCE',
  FEATURE_NAME_COLLISION: 'FEATURE_NAME_COLLISION',
  INVALID_CONFIG: 'INVALID_CONFIG',
  CONFIG_NOT_FOUND: 'CONFIG_NOT_FOUND',
  DEFINITION_IMPORT_FAILED: 'DEFINITION_IMPORT_FAILED',
  REGISTRY_CONFLICT: 'REGISTRY_CONFLICT',
  REGISTRY_CORRUPT: 'REGISTRY_CORRUPT',
  REGISTRY_VERSION_UNSUPPORTED: 'REGISTRY_VERSION_UNSUPPORTED',
  REGISTRY_NOT_FOUND: 'REGISTRY_NOT_FOUND',
  REGISTRY_UNAVAILABLE: 'REGISTRY_UNAVAILABLE',
  SOURCE_SCHEMA_MISMATCH: 'SOURCE_SCHEMA_MISMATCH',
  SOURCE_NOT_FOUND: 'SOURCE_NOT_FOUND',
  INVALID_ENTITY_ROWS: 'INVALID_ENTITY_ROWS',
  MISSING_JOIN_KEY: 'MISSING_JOIN_KEY',
  WRONG_TYPE: 'WRONG_TYPE',
  REQUEST_TOO_LARGE: 'REQUEST_TOO_LARGE',
  INVALID_REQUEST: 'INVALID_REQUEST',
  INVALID_USAGE: 'INVALID_USAGE',
  ONLINE_STORE_UNAVAILABLE: 'ONLINE_STORE_UNAVAILABLE',
  ONLINE_STORE_TIMEOUT: 'ONLINE_STORE_TIMEOUT',
  CORRUPT_ROW: 'CORRUPT_ROW',
  OFFLINE_STORE_ERROR: 'OFFLINE_STORE_ERROR',
  INVALID_PUSH_ROW: 'INVALID_PUSH_ROW',
  STREAM_ERROR: 'STREAM_ERROR',
  UNAUTHORIZED: 'UNAUTHORIZED',
  MODEL_REGISTRY_ERROR: 'MODEL_REGISTRY_ERROR',
  ANN_INDEX_CORRUPT: 'ANN_INDEX_CORRUPT',
  ANN_INDEX_NOT_FOUND: 'ANN_INDEX_NOT_FOUND',
  NOT_IMPLEMENTED: 'NOT_IMPLEMENTED',
  INTERNAL: 'INTERNAL',
} as const;

/** One of the stable error codes. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Optional parts of a FrecError: the fix, where it happened, and the cause. */
export interface FrecErrorOptions {
  /** How to fix it, in one sentence. */
  hint?: string;
  /** Where it happened: file, feature view, feature, entity... */
  where?: Record<string, string | number | undefined>;
  cause?: unknown;
}

/** Base class of every error frec throws on purpose. */
export class FrecError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly where: Record<string, string | number | undefined>;

  constructor(code: ErrorCode, message: string, options: FrecErrorOptions = {}) {
    const hint = options.hint ? ` ${options.hint}` : '';
    super(`${message}${hint}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FrecError';
    this.code = code;
    this.hint = options.hint;
    this.where = options.where ?? {};
  }

  toJSON(): { code: ErrorCode; message: string; hint?: string; where: Record<string, unknown> } {
    return { code: this.code, message: this.message, ...(this.hint ? { hint: this.hint } : {}), where: this.where };
  }
}

/** A definition (entity, source, view, service) is malformed. */
export class DefinitionError extends FrecError {
  constructor(message: string, options: FrecErrorOptions = {}, code: ErrorCode = ErrorCode.INVALID_DEFINITION) {
    super(code, message, options);
    this.name = 'DefinitionError';
  }
}

/** feature_store.yaml is missing or malformed. */
export class ConfigError extends FrecError {
  constructor(message: string, options: FrecErrorOptions = {}, code: ErrorCode = ErrorCode.INVALID_CONFIG) {
    super(code, message, options);
    this.name = 'ConfigError';
  }
}

/** A named object (feature, view, service, entity) does not exist; the message lists the closest names. */
export class NotFoundError extends FrecError {
  constructor(code: ErrorCode, message: string, options: FrecErrorOptions = {}) {
    super(code, message, options);
    this.name = 'NotFoundError';
  }
}

/** The registry could not be read or written safely. */
export class RegistryError extends FrecError {
  constructor(code: ErrorCode, message: string, options: FrecErrorOptions = {}) {
    super(code, message, options);
    this.name = 'RegistryError';
  }
}

/** A request (entity rows, push rows, HTTP body) is invalid. */
export class RequestError extends FrecError {
  constructor(code: ErrorCode, message: string, options: FrecErrorOptions = {}) {
    super(code, message, options);
    this.name = 'RequestError';
  }
}

/** A store (online, offline) failed or could not be reached. */
export class StoreError extends FrecError {
  constructor(code: ErrorCode, message: string, options: FrecErrorOptions = {}) {
    super(code, message, options);
    this.name = 'StoreError';
  }
}

const HTTP_STATUS: Partial<Record<ErrorCode, number>> = {
  UNKNOWN_FEATURE: 404,
  UNKNOWN_FEATURE_VIEW: 404,
  UNKNOWN_FEATURE_SERVICE: 404,
  UNKNOWN_ENTITY: 404,
  UNKNOWN_SOURCE: 404,
  REQUEST_TOO_LARGE: 413,
  UNAUTHORIZED: 401,
  ONLINE_STORE_UNAVAILABLE: 503,
  ONLINE_STORE_TIMEOUT: 503,
  REGISTRY_CONFLICT: 409,
  REGISTRY_UNAVAILABLE: 503,
  NOT_IMPLEMENTED: 501,
  ANN_INDEX_CORRUPT: 503,
  ANN_INDEX_NOT_FOUND: 503,
  INTERNAL: 500,
  OFFLINE_STORE_ERROR: 500,
};

/** Maps an error code to the HTTP status the feature server answers with. */
export function httpStatusOf(code: ErrorCode): number {
  return HTTP_STATUS[code] ?? 400;
}

/** Converts anything thrown into a FrecError, keeping the original as `cause`. */
export function toFrecError(err: unknown): FrecError {
  if (err instanceof FrecError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new FrecError(ErrorCode.INTERNAL, message, { cause: err });
}
