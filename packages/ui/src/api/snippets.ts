import type { FeatureServiceSpec, FieldSpec, RegistryData } from '@frec/core/spi';

/** Copyable calls that read an object's features: the SDK and the feature server's HTTP API. */
export interface Snippets {
  typescript: string;
  curl: string;
  /** What the snippets send: feature references (or the service) and the entity and request columns. */
  features: string[];
  featureService: string | null;
  entityColumns: Array<{ name: string; dtype: string }>;
}

function example(dtype: string): number | string | boolean {
  if (dtype === 'string') return 'id-1';
  if (dtype === 'bool') return true;
  return 1;
}

function columnsOf(data: RegistryData, views: readonly string[]): Array<{ name: string; dtype: string }> {
  const cols = new Map<string, string>();
  const add = (f: FieldSpec) => cols.set(f.name, f.dtype);
  for (const v of views) {
    const fv = data.featureViews[v]?.spec;
    if (fv) fv.entityColumns.forEach(add);
    const od = data.onDemandFeatureViews[v]?.spec;
    if (od) {
      for (const s of od.sources) if (s.kind === 'featureView') data.featureViews[s.name]?.spec.entityColumns.forEach(add);
      for (const rs of od.requestSources) rs.schema.forEach(add);
    }
  }
  return [...cols].map(([name, dtype]) => ({ name, dtype }));
}

function render(
  features: string[],
  service: string | null,
  columns: Array<{ name: string; dtype: string }>,
  repoPath: string,
  serverUrl: string,
): Snippets {
  const row = Object.fromEntries(columns.map((c) => [c.name, example(c.dtype)]));
  const selector = service
    ? `featureService: ${JSON.stringify(service)}`
    : `features: ${JSON.stringify(features, null, 2).replace(/\n/g, '\n  ')}`;
  const typescript = [
    "import { FeatureStore } from '@frec/core';",
    '',
    `const store = await FeatureStore.open({ repoPath: ${JSON.stringify(repoPath)} });`,
    'const res = await store.getOnlineFeatures({',
    `  ${selector},`,
    `  entityRows: [${JSON.stringify(row).replace(/"([A-Za-z_][A-Za-z0-9_]*)":/g, '$1: ')}],`,
    '});',
    'console.log(res.toRows());',
    'await store.close();',
  ].join('\n');
  const body = {
    ...(service ? { feature_service: service } : { features }),
    entities: Object.fromEntries(columns.map((c) => [c.name, [example(c.dtype)]])),
  };
  // The body is single-quoted for the shell: a quote inside it is closed, escaped and reopened.
  const json = JSON.stringify(body).replace(/'/g, "'\\''");
  const curl = [`curl -s ${serverUrl}/get-online-features \\`, `  -H "Authorization: Bearer $FREC_API_KEY" \\`, `  -d '${json}'`].join(
    '\n',
  );
  return { typescript, curl, features, featureService: service, entityColumns: columns };
}

/** Snippets that read every feature of a view (batch, stream, aggregation or on-demand). */
export function viewSnippets(data: RegistryData, view: string, repoPath: string, serverUrl: string, only?: string): Snippets {
  const spec = data.featureViews[view]?.spec ?? data.onDemandFeatureViews[view]?.spec;
  const names = (spec?.features ?? []).map((f) => f.name).filter((n) => only === undefined || n === only);
  return render(
    names.map((n) => `${view}:${n}`),
    null,
    columnsOf(data, [view]),
    repoPath,
    serverUrl,
  );
}

/** Snippets that read a feature service by name. */
export function serviceSnippets(data: RegistryData, svc: FeatureServiceSpec, repoPath: string, serverUrl: string): Snippets {
  const features = svc.projections.flatMap((p) => p.features.map((f) => `${p.alias ?? p.view}:${f}`));
  return render(
    features,
    svc.name,
    columnsOf(
      data,
      svc.projections.map((p) => p.view),
    ),
    repoPath,
    serverUrl,
  );
}
