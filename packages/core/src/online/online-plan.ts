import type { Transform } from '../definitions/on-demand-feature-view.js';
import type { FeatureViewSpec, FieldSpec, OnDemandFeatureViewSpec } from '../definitions/specs.js';
import { outputColumnNames, resolveFeatures, type FeatureSelector } from '../feature-refs.js';
import type { RegistryData } from '../registry/registry-data.js';
import type { ValueType } from '../value-types.js';

/** A join key the request's entity rows must carry. */
export interface JoinKeyPlan {
  name: string;
  dtype: ValueType;
  /** The entity it belongs to, for error messages. */
  entity: string;
}

/** One view to read: which features (returned ones first, then transform inputs) and which join keys form its entity key. */
export interface ViewPlan {
  view: FeatureViewSpec;
  read: string[];
  keyCols: number[];
  ttlMs: number;
}

/** One on-demand view to compute per row. */
export interface OdfvPlan {
  spec: OnDemandFeatureViewSpec;
  transform: Transform;
  /** Transform inputs taken from read views: feature `read[feature]` of `views[view]`. */
  inputs: Array<{ name: string; view: number; feature: number }>;
  requestFields: FieldSpec[];
}

/** Where an output column's values come from. */
export type OutputPlan =
  /** `firstUse`: no earlier output column reads the same feature of the same view. */
  { kind: 'view'; view: number; feature: number; firstUse: boolean } | { kind: 'odfv'; odfv: number; feature: string };

/** Everything about a request that depends only on the registry and the selector, computed once and cached. */
export interface RequestPlan {
  joinKeys: JoinKeyPlan[];
  views: ViewPlan[];
  odfvs: OdfvPlan[];
  outputs: OutputPlan[];
  featureNames: string[];
}

/** Builds the plan of a request: resolves features (errors list the closest names) and lays out reads and outputs. */
export function buildRequestPlan(
  data: RegistryData,
  selector: FeatureSelector,
  fullFeatureNames: boolean,
  transformOf: (name: string, spec: OnDemandFeatureViewSpec) => Transform,
): RequestPlan {
  const resolved = resolveFeatures(data, selector);
  const names = outputColumnNames(resolved, fullFeatureNames);
  const joinKeys: JoinKeyPlan[] = [];
  const views: ViewPlan[] = resolved.views.map((rv) => {
    const keyCols = rv.view.entityColumns.map((col, i) => {
      let j = joinKeys.findIndex((k) => k.name === col.name);
      if (j < 0) j = joinKeys.push({ name: col.name, dtype: col.dtype, entity: rv.view.entities[i] ?? col.name }) - 1;
      return j;
    });
    return { view: rv.view, read: [...rv.features, ...rv.hiddenFeatures], keyCols, ttlMs: rv.view.ttlSeconds * 1000 };
  });
  const odfvs: OdfvPlan[] = resolved.odfvs.map((ro) => {
    const inputs: OdfvPlan['inputs'] = [];
    for (const src of ro.view.sources) {
      if (src.kind !== 'featureView') continue;
      const v = resolved.views.findIndex((rv) => rv.view.name === src.name && rv.prefix === src.name);
      for (const f of src.features) inputs.push({ name: f, view: v, feature: views[v]!.read.indexOf(f) });
    }
    return {
      spec: ro.view,
      transform: transformOf(ro.view.name, ro.view),
      inputs,
      requestFields: ro.view.requestSources.flatMap((s) => s.schema),
    };
  });
  const used = new Set<string>();
  const outputs: OutputPlan[] = resolved.outputs.map((o) => {
    if (o.odfv) return { kind: 'odfv', odfv: resolved.odfvs.findIndex((r) => r.prefix === o.prefix), feature: o.feature };
    const v = resolved.views.findIndex((r) => r.prefix === o.prefix);
    const feature = views[v]!.read.indexOf(o.feature);
    const firstUse = !used.has(`${v}:${feature}`);
    used.add(`${v}:${feature}`);
    return { kind: 'view', view: v, feature, firstUse };
  });
  return { joinKeys, views, odfvs, outputs, featureNames: [...joinKeys.map((k) => k.name), ...names] };
}

// Plans are kept per registry snapshot: a new generation (a new data object) starts a new cache.
const cache = new WeakMap<object, { data: RegistryData; plans: Map<string, RequestPlan> }>();

const byArray = new WeakMap<readonly string[], { owner: object; data: RegistryData; full: boolean; plan: RequestPlan }>();

/** The cached plan of a request for this owner (a FeatureStore) and registry data. */
export function cachedRequestPlan(
  owner: object,
  data: RegistryData,
  selector: FeatureSelector,
  fullFeatureNames: boolean,
  transformOf: (name: string, spec: OnDemandFeatureViewSpec) => Transform,
): RequestPlan {
  // Callers that reuse one features array (servers, rankers) skip building the cache key.
  const arr = selector.features;
  if (arr) {
    const hit = byArray.get(arr);
    if (hit && hit.owner === owner && hit.data === data && hit.full === fullFeatureNames) return hit.plan;
  }
  let entry = cache.get(owner);
  if (!entry || entry.data !== data) {
    entry = { data, plans: new Map() };
    cache.set(owner, entry);
  }
  const svc = selector.featureService;
  const key = `${fullFeatureNames ? 1 : 0}|${svc !== undefined ? `svc:${typeof svc === 'string' ? svc : svc.name}` : (selector.features ?? []).join('\n')}`;
  let plan = entry.plans.get(key);
  if (!plan) {
    plan = buildRequestPlan(data, selector, fullFeatureNames, transformOf);
    if (entry.plans.size > 1000) entry.plans.clear();
    entry.plans.set(key, plan);
  }
  if (arr) byArray.set(arr, { owner, data, full: fullFeatureNames, plan });
  return plan;
}
