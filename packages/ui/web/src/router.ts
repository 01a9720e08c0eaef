import { useEffect, useState } from 'preact/hooks';

/** The page named by the location hash: `#/featureViews/user_stats?x=1` -> ['featureViews', 'user_stats'] and its query. */
export interface Route {
  parts: string[];
  query: URLSearchParams;
}

function current(): Route {
  const h = location.hash.replace(/^#\/?/, '');
  const [p = '', q = ''] = h.split('?');
  return { parts: p.split('/').filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(q) };
}

/** The current route, updated on navigation. */
export function useRoute(): Route {
  const [route, setRoute] = useState(current);
  useEffect(() => {
    const on = () => setRoute(current());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}

/** A hash link to a console page. */
export function href(...parts: Array<string | number>): string {
  return `#/${parts.map((p) => encodeURIComponent(String(p))).join('/')}`;
}

/** The page of a registry object. */
export function objectHref(kind: string, name: string): string {
  return href('object', kind, name);
}
