import { useEffect, useState } from 'preact/hooks';
import type { CatalogPage } from '../../../src/api/catalog';
import { Show, Tags } from '../components/common';
import { KIND_LABEL, KIND_PLURAL } from '../format';
import { href, objectHref } from '../router';
import { useApi } from '../use-api';

const TABS = ['', 'featureViews', 'features', 'onDemandFeatureViews', 'featureServices', 'entities', 'dataSources'] as const;
const PAGE = 50;

function entryHref(e: CatalogPage['items'][number]): string {
  if (e.kind === 'features') return `${objectHref(e.viewKind ?? 'featureViews', e.view ?? '')}?feature=${encodeURIComponent(e.name)}`;
  return objectHref(e.kind, e.name);
}

/** Search across every object and feature, filtered by kind, a page at a time. */
export function CatalogView(props: { query: URLSearchParams }) {
  const [q, setQ] = useState(props.query.get('q') ?? '');
  const [debounced, setDebounced] = useState(q);
  const [kind, setKind] = useState<string>(props.query.get('kind') ?? '');
  const [limit, setLimit] = useState(PAGE);
  useEffect(() => {
    const t = setTimeout(() => setDebounced(q), 150);
    return () => clearTimeout(t);
  }, [q]);
  useEffect(() => setLimit(PAGE), [debounced, kind]);
  const params = new URLSearchParams({ q: debounced, limit: String(limit) });
  if (kind) params.set('kind', kind);
  const res = useApi<CatalogPage>(`/catalog?${params}`);
  return (
    <div>
      <h1>Catalog</h1>
      <input
        class="search"
        type="search"
        placeholder="Search entities, sources, views, features, services (name, description, owner, tag)…"
        value={q}
        onInput={(e) => setQ(e.currentTarget.value)}
        data-testid="catalog-search"
        autofocus
      />
      <Show res={res}>
        {(page) => (
          <div>
            <div class="tabs" role="tablist">
              {TABS.map((t) => {
                const n = t === '' ? Object.values(page.counts).reduce((a, b) => a + b, 0) : page.counts[t];
                return (
                  <button
                    type="button"
                    key={t}
                    class={t === kind ? 'tab active' : 'tab'}
                    onClick={() => setKind(t)}
                    data-testid={`tab-${t || 'all'}`}
                  >
                    {t === '' ? 'all' : KIND_PLURAL[t]} <span class="count">{n}</span>
                  </button>
                );
              })}
            </div>
            {page.total === 0 ? (
              <p class="muted" data-testid="no-results">
                No match for “{page.query}” in project {page.project}.
              </p>
            ) : (
              <table class="list" data-testid="catalog-results">
                <thead>
                  <tr>
                    <th>kind</th>
                    <th>name</th>
                    <th>type</th>
                    <th>description</th>
                    <th>owner</th>
                    <th>tags</th>
                  </tr>
                </thead>
                <tbody>
                  {page.items.map((e) => (
                    <tr key={`${e.kind}/${e.view ?? ''}/${e.name}`}>
                      <td class="muted">{KIND_LABEL[e.kind]}</td>
                      <td>
                        <a href={entryHref(e)} data-testid="catalog-link">
                          {e.kind === 'features' ? `${e.view}:${e.name}` : e.name}
                        </a>
                        <div class="muted small">{e.kind === 'features' ? '' : e.summary}</div>
                      </td>
                      <td>{e.subkind}</td>
                      <td>{e.description}</td>
                      <td>{e.owner}</td>
                      <td>
                        <Tags tags={e.tags} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            {page.total > page.items.length ? (
              <p>
                <span class="muted">
                  {page.items.length} of {page.total} shown.{' '}
                </span>
                <button type="button" onClick={() => setLimit((l) => l + PAGE * 4)} data-testid="show-more">
                  Show more
                </button>
              </p>
            ) : null}
            <p class="muted small">
              Registry generation {page.generation}. <a href={href('history')}>History</a>
            </p>
          </div>
        )}
      </Show>
    </div>
  );
}
