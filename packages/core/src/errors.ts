/**
 * Every error frec raises carries a stable `code` (for scripts and HTTP mapping),
 * a message that says what went wrong and where, and a `hint` that says how to fix it.
 * These are the codes core raises; every other package owns its codes (as an `as const` map
 * beside its errors) and raises them through the same FrecError base.
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
  UNKNOWN_PLUGIN: 'UNKNOWN_PLUGIN',
  PLUGIN_LOAD_FAILED: 'PLUGIN_LOAD_FAILED',
  DEFINITION_IMPORT_FAILED: 'DEFINITION_IMPORT_FAILED',
  REGISTRY_CONFLICT: 'REGISTRY_CONFLICT',
  REGISTRY_CORRUPT: 'REGISTRY_CORRUPT',
  REGISTRY_VERSION_UNSUPPORTED: 'REGISTRY_VERSION_UNSUPPORTED',
  REGISTRY_NOT_FOUND: 'REGISTRY_NOT_FOUND',
  REGISTRY_UNAVAILABLE: 'REGISTRY_UNAVAILABLE',
  INVALID_ENTITY_ROWS: 'INVALID_ENTITY_ROWS',
  MISSING_JOIN_KEY: 'MISSING_JOIN_KEY',
  WRONG_TYPE: 'WRONG_TYPE',
  REQUEST_TOO_LARGE: 'REQUEST_TOO_LARGE',
  INVALID_REQUEST: 'INVALID_REQUEST',
  INVALID_USAGE: 'INVALID_USAGE',
  ONLINE_STORE_UNAVAILABLE: 'ONLINE_STORE_UNAVAILABLE',
  ONLINE_STORE_TIMEOUT: 'ONLINE_STORE_TIMEOUT',
  CORRUPT_ROW: 'CORRUPT_ROW',
  INVALID_PUSH_ROW: 'INVALID_PUSH_ROW',
  STREAM_ERROR: 'STREAM_ERROR',
  INTERNAL: 'INTERNAL',
} as const;

/** One of core's stable error codes. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Optional parts of a FrecError: the fix, where it happened, and the cause. */
export interface FrecErrorOptions {
  /** How to fix it, in one sentence. */
  hint?: string;
  /** Where it happened: file, feature view, feature, entity... */
  where?: Record<string, string | number | undefined>;
  cause?: unknown;
  /** The HTTP status a server answers with; default from the code (see httpStatusOf), else 400. */
  httpStatus?: number;
}

/** Base class of every error frec throws on purpose. */
export class FrecError<C extends string = string> extends Error {
  readonly code: C;
  readonly hint: string | undefined;
  readonly where: Record<string, string | number | undefined>;
  /** What an HTTP server answers with for this error. */
  readonly httpStatus: number;

  constructor(code: C, message: string, options: FrecErrorOptions = {}) {
    const hint = options.hint ? ` ${options.hint}` : '';
    super(`${message}${hint}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FrecError';
    this.code = code;
    this.hint = options.hint;
    this.where = options.where ?? {};
    this.httpStatus = options.httpStatus ?? httpStatusOf(code);
  }

  toJSON(): { code: C; message: string; hint?: string; where: Record<string, unknown> } {
    return { code: this.code, message: this.message, ...(this.hint ? { hint: this.hint } : {}), where: this.where };
  }
}

/** A definition (entity, source, view, service) is malformed. */
export class DefinitionError extends FrecError {
  constructor(message: string, options: FrecErrorOptions = {}, code: string = ErrorCode.INVALID_DEFINITION) {
    super(code, message, options);
    this.name = 'DefinitionError';
  }
}

/** feature_store.yaml is missing or malformed. */
export class ConfigError extends FrecError {
  constructor(message: string, options: FrecErrorOptions = {}, code: string = ErrorCode.INVALID_CONFIG) {
    super(code, message, options);
    this.name = 'ConfigError';
  }
}

/** A named object (feature, view, service, entity) does not exist; the message lists the closest names. */
export class NotFoundError extends FrecError {
  constructor(code: string, message: string, options: FrecErrorOptions = {}) {
    super(code, message, options);
    this.name = 'NotFoundError';
  }
}

/** The registry could not be read or written safely. */
export class RegistryError extends FrecError {
  constructor(code: string, message: string, options: FrecErrorOptions = {}) {
    super(code, message, options);
    this.name = 'RegistryError';
  }
}

/** A request (entity rows, push rows, HTTP body) is invalid. */
export class RequestError extends FrecError {
  constructor(code: string, message: string, options: FrecErrorOptions = {}) {
    super(code, message, options);
    this.name = 'RequestError';
  }
}

/** A store (online, offline) failed or could not be reached. */
export class StoreError extends FrecError {
  constructor(code: string, message: string, options: FrecErrorOptions = {}) {
    super(code, message, options);
    this.name = 'StoreError';
  }
}

const HTTP_STATUS: Readonly<Record<string, number>> = {
  UNKNOWN_FEATURE: 404,
  UNKNOWN_FEATURE_VIEW: 404,
  UNKNOWN_FEATURE_SERVICE: 404,
  UNKNOWN_ENTITY: 404,
  UNKNOWN_SOURCE: 404,
  REQUEST_TOO_LARGE: 413,
  ONLINE_STORE_UNAVAILABLE: 503,
  ONLINE_STORE_TIMEOUT: 503,
  REGISTRY_CONFLICT: 409,
  REGISTRY_UNAVAILABLE: 503,
  INTERNAL: 500,
} satisfies Partial<Record<ErrorCode, number>>;

/** The HTTP status of one of core's codes (400 for any other): what FrecError.httpStatus defaults to. */
export function httpStatusOf(code: string): number {
  return HTTP_STATUS[code] ?? 400;
}

/** Converts anything thrown into a FrecError, keeping the original as `cause`. */
export function toFrecError(err: unknown): FrecError {
  if (err instanceof FrecError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new FrecError(ErrorCode.INTERNAL, message, { cause: err });
}
