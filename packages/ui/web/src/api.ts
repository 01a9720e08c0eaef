/** The API key the user typed, kept for this browser tab only. */
const KEY = 'frec-console-api-key';

export function apiKey(): string | null {
  return sessionStorage.getItem(KEY);
}

export function setApiKey(key: string | null): void {
  if (key) sessionStorage.setItem(KEY, key);
  else sessionStorage.removeItem(KEY);
}

/** The API answered 401: the page asks for a key. */
export class AuthError extends Error {
  constructor(readonly hint: string) {
    super('Missing or invalid credentials.');
  }
}

/** An error the API reported, with its code. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** GET /api/<path> with the key, as JSON. */
export async function apiGet<T>(path: string, signal?: AbortSignal): Promise<T> {
  const key = apiKey();
  const res = await fetch(`/api${path}`, { headers: key ? { authorization: `Bearer ${key}` } : {}, ...(signal ? { signal } : {}) });
  const body = (await res.json().catch(() => null)) as { error?: { code: string; message: string; hint?: string } } | null;
  if (res.status === 401) throw new AuthError(body?.error?.hint ?? '');
  if (!res.ok)
    throw new ApiError(res.status, body?.error?.code ?? 'HTTP_ERROR', body?.error?.message ?? `HTTP ${res.status}`, body?.error?.hint);
  return body as T;
}

/** Encodes one path part. */
export const enc = encodeURIComponent;
