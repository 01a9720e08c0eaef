import { createHash, timingSafeEqual } from 'node:crypto';
import { RequestError } from '@frec/core';
import { FeatureServerErrorCode } from './errors.js';

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** The credential a request presents: `Authorization: Bearer <key>` or `X-API-Key: <key>`. */
export function presentedKey(headers: Record<string, string | string[] | undefined>): string | undefined {
  const auth = headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(.+)$/i.exec(auth.trim());
    if (m) return m[1]!.trim();
  }
  const key = headers['x-api-key'];
  return typeof key === 'string' && key.length > 0 ? key : undefined;
}

/**
 * Checks API keys in constant time: keys are compared as SHA-256 digests (equal length, so
 * timingSafeEqual applies) and every configured key is compared, so timing reveals neither
 * which key nearly matched nor how many there are.
 */
export class ApiKeyAuth {
  private readonly digests: Buffer[];

  constructor(keys: readonly string[]) {
    this.digests = keys.map(digest);
  }

  /** True when no key is configured: auth is off. */
  get disabled(): boolean {
    return this.digests.length === 0;
  }

  /** Whether `key` is one of the configured keys. */
  accepts(key: string | undefined): boolean {
    if (this.disabled) return true;
    const d = digest(key ?? '');
    let ok = false;
    for (const k of this.digests) ok = timingSafeEqual(d, k) || ok;
    return ok && key !== undefined;
  }

  /** Throws a 401 error that does not say whether the header was missing, malformed or wrong. */
  check(headers: Record<string, string | string[] | undefined>): void {
    if (!this.accepts(presentedKey(headers))) {
      throw new RequestError(FeatureServerErrorCode.UNAUTHORIZED, 'Missing or invalid credentials.', {
        httpStatus: 401,
        hint: 'Send a configured API key as `Authorization: Bearer <key>` or `X-API-Key: <key>`.',
      });
    }
  }
}
