import { ErrorCode, FrecError, RequestError } from '@frec/core';
import { toFrecError } from '@frec/core/spi';

/** Fastify's own error codes that mean "the client sent something wrong", mapped to frec codes. */
const FASTIFY_CODES: Record<string, { code: ErrorCode; message: (e: Error) => string; hint?: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: {
    code: ErrorCode.REQUEST_TOO_LARGE,
    message: () => 'The request body is larger than this server accepts.',
    hint: 'Send fewer entity rows per request, or raise feature_server.max_body_bytes in feature_store.yaml.',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    code: ErrorCode.INVALID_REQUEST,
    message: () => 'The Content-Length header does not match the body.',
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: ErrorCode.INVALID_REQUEST, message: () => 'The request body is empty; send a JSON object.' },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: ErrorCode.INVALID_REQUEST, message: (e) => `The request body is not valid JSON: ${e.message}` },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: ErrorCode.INVALID_REQUEST, message: () => 'Unsupported Content-Type; send application/json.' },
};

/** What a client sees of a server-side failure, by code: store and engine messages (addresses, scripts, SQL) stay in the log. */
const PUBLIC_MESSAGES: Record<string, string> = {
  [ErrorCode.ONLINE_STORE_UNAVAILABLE]: 'The online store is unavailable; see the server log.',
  [ErrorCode.ONLINE_STORE_TIMEOUT]: 'The online store did not answer in time; see the server log.',
  [ErrorCode.REGISTRY_UNAVAILABLE]: 'The registry is unavailable; see the server log.',
};
const INTERNAL_MESSAGE = 'Internal error while serving the request; see the server log.';

/** A 5xx FrecError as the response carries it: its code, status and hint, a fixed message; the original is the cause. */
function publicError(err: FrecError): FrecError {
  return new FrecError(err.code, PUBLIC_MESSAGES[err.code] ?? INTERNAL_MESSAGE, {
    cause: err,
    httpStatus: err.httpStatus,
    ...(err.code === ErrorCode.INTERNAL ? {} : { hint: err.hint }),
  });
}

/** Converts anything a route or fastify throws into a FrecError and its HTTP status; never leaks internals on 500. */
export function toHttpError(err: unknown): { status: number; error: FrecError } {
  if (err instanceof FrecError)
    return err.httpStatus >= 500 ? { status: err.httpStatus, error: publicError(err) } : { status: err.httpStatus, error: err };
  const e = err as Error & { code?: string; statusCode?: number };
  const known = e.code ? FASTIFY_CODES[e.code] : undefined;
  if (known) {
    const error = new RequestError(known.code, known.message(e), known.hint ? { hint: known.hint } : {});
    return { status: error.httpStatus, error };
  }
  if (e instanceof SyntaxError) {
    const error = new RequestError(ErrorCode.INVALID_REQUEST, `The request body is not valid JSON: ${e.message}`);
    return { status: 400, error };
  }
  // Other 4xx from fastify (bad headers, aborted bodies) stay client errors.
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return { status: e.statusCode, error: new RequestError(ErrorCode.INVALID_REQUEST, e.message) };
  }
  const internal = toFrecError(err);
  return {
    status: 500,
    error: new FrecError(ErrorCode.INTERNAL, INTERNAL_MESSAGE, { cause: internal }),
  };
}
