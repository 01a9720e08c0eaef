import type { RegistryData } from '@frec/core/spi';

/** The kinds of catalog entries: the registry's collections, plus each feature on its own. */
export const CATALOG_KINDS = ['entities', 'dataSources', 'featureViews', 'onDemandFeatureViews', 'featureServices', 'features'] as const;
/** One of CATALOG_KINDS. */
export type CatalogKind = (typeof CATALOG_KINDS)[number];

/** One row of the catalog: an object, or a feature of a view. */
export interface CatalogEntry {
  kind: CatalogKind;
  name: string;
  /** The view's kind (batch, stream, aggregation, on_demand), a source's type, or a feature's dtype. */
  subkind: string;
  description: string;
  owner: string;
  tags: Record<string, string>;
  /** For features: the view it belongs to, and that view's registry collection. */
  view?: string;
  viewKind?: 'featureViews' | 'onDemandFeatureViews';
  /** Features of a view, projections of a service, join key of an entity. */
  summary: string;
}

interface CatalogIndex {
  generation: number;
  entries: CatalogEntry[];
  /** Lower-case text each entry is searched in, aligned with entries. */
  haystacks: string[];
}

const indexCache = new WeakMap<RegistryData, CatalogIndex>();

function haystack(e: CatalogEntry): string {
  return [e.name, e.view ?? '', e.subkind, e.description, e.owner, ...Object.entries(e.tags).map(([k, v]) => `${k}=${v}`), e.summary]
    .join('\n')
    .toLowerCase();
}

/** Builds (once per registry read) the searchable list of every object and feature. */
export function catalogIndex(data: RegistryData): CatalogIndex {
  const hit = indexCache.get(data);
  if (hit) return hit;
  const entries: CatalogEntry[] = [];
  const meta = (s: { description?: string; owner?: string; tags?: Record<string, string> }) => ({
    description: s.description ?? '',
    owner: s.owner ?? '',
    tags: s.tags ?? {},
  });
  for (const { spec } of Object.values(data.entities)) {
    entries.push({ kind: 'entities', name: spec.name, subkind: spec.valueType, ...meta(spec), summary: `join key ${spec.joinKey}` });
  }
  for (const { spec } of Object.values(data.dataSources)) {
    const where =
      spec.type === 'file' ? spec.path : spec.type === 'stream' ? spec.topic : spec.type === 'push' ? spec.batchSource.path : '';
    entries.push({ kind: 'dataSources', name: spec.name, subkind: spec.type, ...meta(spec), summary: where });
  }
  for (const { spec } of Object.values(data.featureViews)) {
    entries.push({
      kind: 'featureViews',
      name: spec.name,
      subkind: spec.kind,
      ...meta(spec),
      summary: `${spec.features.length} features of ${spec.entities.join(', ')} from ${spec.source.name}`,
    });
    for (const f of spec.features) {
      entries.push({
        kind: 'features',
        name: f.name,
        view: spec.name,
        viewKind: 'featureViews',
        subkind: f.dtype,
        ...meta(f),
        owner: spec.owner,
        summary: `${spec.name}:${f.name}`,
      });
    }
  }
  for (const { spec } of Object.values(data.onDemandFeatureViews)) {
    entries.push({
      kind: 'onDemandFeatureViews',
      name: spec.name,
      subkind: 'on_demand',
      ...meta(spec),
      summary: `${spec.features.length} features from ${spec.sources.map((s) => s.name).join(', ')}`,
    });
    for (const f of spec.features) {
      entries.push({
        kind: 'features',
        name: f.name,
        view: spec.name,
        viewKind: 'onDemandFeatureViews',
        subkind: f.dtype,
        ...meta(f),
        owner: spec.owner,
        summary: `${spec.name}:${f.name}`,
      });
    }
  }
  for (const { spec } of Object.values(data.featureServices)) {
    const n = spec.projections.reduce((a, p) => a + p.features.length, 0);
    entries.push({
      kind: 'featureServices',
      name: spec.name,
      subkind: 'service',
      ...meta(spec),
      summary: `${n} features from ${spec.projections.map((p) => p.view).join(', ')}`,
    });
  }
  const order = CATALOG_KINDS;
  entries.sort(
    (a, b) => order.indexOf(a.kind) - order.indexOf(b.kind) || a.name.localeCompare(b.name) || (a.view ?? '').localeCompare(b.view ?? ''),
  );
  const index = { generation: data.generation, entries, haystacks: entries.map(haystack) };
  indexCache.set(data, index);
  return index;
}

/** A page of search results with counts per kind (of all matches, not only the page). */
export interface CatalogPage {
  project: string;
  generation: number;
  query: string;
  total: number;
  counts: Record<CatalogKind, number>;
  offset: number;
  items: CatalogEntry[];
}

/**
 * Searches the catalog: every whitespace-separated term must appear (case-insensitive) in an
 * entry's name, view, type, description, owner, tags or summary. An exact name match ranks first.
 */
export function searchCatalog(data: RegistryData, q: { query: string; kind?: CatalogKind; offset: number; limit: number }): CatalogPage {
  const index = catalogIndex(data);
  const terms = q.query.toLowerCase().split(/\s+/).filter(Boolean);
  const counts = Object.fromEntries(CATALOG_KINDS.map((k) => [k, 0])) as Record<CatalogKind, number>;
  const matches: CatalogEntry[] = [];
  const exact: CatalogEntry[] = [];
  const needle = q.query.trim().toLowerCase();
  index.entries.forEach((e, i) => {
    const h = index.haystacks[i]!;
    if (!terms.every((t) => h.includes(t))) return;
    counts[e.kind]++;
    if (q.kind && e.kind !== q.kind) return;
    (needle && e.name.toLowerCase() === needle ? exact : matches).push(e);
  });
  const all = [...exact, ...matches];
  return {
    project: data.project,
    generation: data.generation,
    query: q.query,
    total: all.length,
    counts,
    offset: q.offset,
    items: all.slice(q.offset, q.offset + q.limit),
  };
}
