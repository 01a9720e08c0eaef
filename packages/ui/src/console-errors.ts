import { FrecError, RequestError } from '@frec/core';
import { toFrecError } from '@frec/core/spi';

/** The codes the console raises, beside core's. */
export const ConsoleErrorCode = {
  /** A query parameter or path part of an /api/ call is malformed. */
  INVALID_CONSOLE_REQUEST: 'INVALID_CONSOLE_REQUEST',
  /** The named object, feature or report does not exist. */
  CONSOLE_NOT_FOUND: 'CONSOLE_NOT_FOUND',
  /** The built pages are missing from the package (a broken install). */
  CONSOLE_ASSETS_MISSING: 'CONSOLE_ASSETS_MISSING',
} as const;

/** A 400 for a malformed /api/ request, saying which parameter and what it accepts. */
export function badRequest(message: string, hint: string, where: Record<string, string | number | undefined> = {}): RequestError {
  return new RequestError(ConsoleErrorCode.INVALID_CONSOLE_REQUEST, message, { hint, where, httpStatus: 400 });
}

/** A 404 for an object the registry, model registry or monitoring folders do not hold. */
export function notFound(message: string, hint: string, where: Record<string, string | number | undefined> = {}): FrecError {
  return new FrecError(ConsoleErrorCode.CONSOLE_NOT_FOUND, message, { hint, where, httpStatus: 404 });
}

/** What an error may show a client: its code, message and hint when it is a client error, else only its code. */
export interface PublicError {
  code: string;
  message: string;
  hint?: string;
}

/**
 * The client-facing form of anything thrown. Errors frec raised on purpose with a 4xx status keep
 * their message; anything else (5xx, a library's error, a bug) keeps only its code, so paths,
 * hosts and stack traces stay in the server log.
 */
export function publicError(err: unknown): { status: number; error: PublicError } {
  const e = toFrecError(err);
  if (e.httpStatus < 500 && e.code !== 'INTERNAL') {
    return { status: e.httpStatus, error: { code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) } };
  }
  const status = e.code === 'INTERNAL' ? 500 : e.httpStatus >= 500 ? e.httpStatus : 500;
  const code = e.code === 'INTERNAL' || !(err instanceof FrecError) ? 'INTERNAL' : e.code;
  return { status, error: { code, message: 'The console could not read this; see the server log.' } };
}
