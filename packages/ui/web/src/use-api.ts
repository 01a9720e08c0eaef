import { useEffect, useState } from 'preact/hooks';
import { apiGet, AuthError } from './api';

/** What a page's request is doing. */
export type Loaded<T> = { state: 'loading' } | { state: 'ok'; data: T } | { state: 'error'; error: Error };

/** Fetches an API path when it changes (and every `refreshMs` when given); aborts stale requests. */
export function useApi<T>(path: string | null, refreshMs?: number): Loaded<T> {
  const [res, setRes] = useState<Loaded<T>>({ state: 'loading' });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (!path) return;
    const ctl = new AbortController();
    apiGet<T>(path, ctl.signal).then(
      (data) => setRes({ state: 'ok', data }),
      (error: Error) => {
        if (error.name === 'AbortError') return;
        if (error instanceof AuthError) dispatchEvent(new CustomEvent('frec-auth', { detail: error.hint }));
        setRes({ state: 'error', error });
      },
    );
    return () => ctl.abort();
  }, [path, tick]);
  useEffect(() => {
    if (!refreshMs) return;
    const t = setInterval(() => setTick((n) => n + 1), refreshMs);
    return () => clearInterval(t);
  }, [refreshMs]);
  useEffect(() => setRes({ state: 'loading' }), [path]);
  return res;
}
