import type { RegistryData } from '@frec/core/spi';
import { notFound } from '../console-errors.js';
import type { ModelSummary } from './models.js';
import { serviceSnippets, viewSnippets, type Snippets } from './snippets.js';

/** Registry collections a detail page can show. */
export const OBJECT_KINDS = ['entities', 'dataSources', 'featureViews', 'onDemandFeatureViews', 'featureServices'] as const;
/** One of OBJECT_KINDS. */
export type ObjectKind = (typeof OBJECT_KINDS)[number];

/** A window or session gap of an aggregation, read from the spec whatever its kind. */
export interface WindowSummary {
  feature: string;
  kind: string;
  column: string | null;
  windowSeconds: number | null;
  gapSeconds: number | null;
  n: number | null;
  /** Every other field of the aggregation (groupBy, normalize, approx, ...), as stored. */
  options: Record<string, unknown>;
}

/** Everything the detail page of one object shows. */
export interface ObjectDetail {
  kind: ObjectKind;
  name: string;
  project: string;
  generation: number;
  createdAt: string;
  updatedAt: string;
  version: number;
  /** `file:line` of the declaration, relative to the repo; null when the registry has none (applied before sites were kept). */
  site: string | null;
  /** The stored spec, whole, so fields this console does not know yet are shown too. */
  spec: Record<string, unknown>;
  windows: WindowSummary[];
  related: {
    sources: string[];
    entities: string[];
    views: string[];
    onDemandViews: string[];
    services: string[];
    models: Array<{ name: string; version: number; stage: string }>;
  };
  materialization: RegistryData['materialization'][string] | null;
  snippets: Snippets | null;
}

function windowsOf(spec: Record<string, unknown>): WindowSummary[] {
  const aggs = Array.isArray(spec.aggregations) ? (spec.aggregations as Array<Record<string, unknown>>) : [];
  const num = (v: unknown) => (typeof v === 'number' ? v : null);
  const known = new Set(['name', 'kind', 'column', 'windowSeconds', 'gapSeconds', 'n']);
  return aggs.map((a) => ({
    options: Object.fromEntries(Object.entries(a).filter(([k]) => !known.has(k))),
    feature: String(a.name ?? ''),
    kind: String(a.kind ?? ''),
    column: typeof a.column === 'string' ? a.column : null,
    windowSeconds: num(a.windowSeconds),
    gapSeconds: num(a.gapSeconds),
    n: num(a.n),
  }));
}

/** The detail of one applied object with what it reads and what reads it. */
export function objectDetail(
  data: RegistryData,
  kind: ObjectKind,
  name: string,
  models: readonly ModelSummary[],
  where: { repoPath: string; serverUrl: string },
): ObjectDetail {
  const stored = (data[kind] as Record<string, { spec: unknown; createdAt: string; updatedAt: string; version: number; site?: string }>)[
    name
  ];
  if (!stored) {
    throw notFound(`No ${kind} object named '${name}' in project '${data.project}'.`, 'Search the catalog for the name.', { kind, name });
  }
  const spec = stored.spec as Record<string, unknown>;
  const views = Object.values(data.featureViews).map((v) => v.spec);
  const odfvs = Object.values(data.onDemandFeatureViews).map((v) => v.spec);
  const services = Object.values(data.featureServices).map((v) => v.spec);
  const related: ObjectDetail['related'] = { sources: [], entities: [], views: [], onDemandViews: [], services: [], models: [] };
  const servicesReading = (view: string) => services.filter((s) => s.projections.some((p) => p.view === view)).map((s) => s.name);
  const modelsOf = (svcs: readonly string[]) =>
    models.flatMap((m) =>
      m.versions.filter((v) => svcs.includes(v.featureService)).map((v) => ({ name: m.name, version: v.version, stage: v.stage })),
    );
  let snippets: Snippets | null = null;
  switch (kind) {
    case 'entities':
      related.views = views.filter((v) => v.entities.includes(name)).map((v) => v.name);
      break;
    case 'dataSources':
      related.views = views.filter((v) => v.source.name === name).map((v) => v.name);
      related.onDemandViews = odfvs.filter((o) => o.sources.some((s) => s.kind === 'request' && s.name === name)).map((o) => o.name);
      break;
    case 'featureViews': {
      const v = data.featureViews[name]!.spec;
      related.sources = [v.source.name];
      related.entities = [...v.entities];
      related.onDemandViews = odfvs.filter((o) => o.sources.some((s) => s.kind === 'featureView' && s.name === name)).map((o) => o.name);
      related.services = servicesReading(name);
      related.models = modelsOf(related.services);
      snippets = viewSnippets(data, name, where.repoPath, where.serverUrl);
      break;
    }
    case 'onDemandFeatureViews': {
      const o = data.onDemandFeatureViews[name]!.spec;
      related.sources = o.sources.filter((s) => s.kind === 'request').map((s) => s.name);
      related.views = o.sources.filter((s) => s.kind === 'featureView').map((s) => s.name);
      related.services = servicesReading(name);
      related.models = modelsOf(related.services);
      snippets = viewSnippets(data, name, where.repoPath, where.serverUrl);
      break;
    }
    case 'featureServices': {
      const s = data.featureServices[name]!.spec;
      const viewNames = [...new Set(s.projections.map((p) => p.view))];
      related.views = viewNames.filter((v) => data.featureViews[v]);
      related.onDemandViews = viewNames.filter((v) => data.onDemandFeatureViews[v]);
      related.models = modelsOf([name]);
      snippets = serviceSnippets(data, s, where.repoPath, where.serverUrl);
      break;
    }
  }
  return {
    kind,
    name,
    project: data.project,
    generation: data.generation,
    createdAt: stored.createdAt,
    updatedAt: stored.updatedAt,
    version: stored.version,
    site: stored.site ?? null,
    spec,
    windows: windowsOf(spec),
    related,
    materialization: kind === 'featureViews' ? (data.materialization[name] ?? null) : null,
    snippets,
  };
}
