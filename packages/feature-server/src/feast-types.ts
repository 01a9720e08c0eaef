import type { ValueType } from '@frec/core';
import { resolveFeatures, type FeatureSelector, type RegistryData } from '@frec/core/spi';

const cache = new WeakMap<RegistryData, Map<string, ReadonlyArray<ValueType | undefined>>>();
/** By the features array itself, for callers that reuse one array per request shape (FeatureLists): no key to join. */
const byArray = new WeakMap<readonly string[], { data: RegistryData; types: ReadonlyArray<ValueType | undefined> }>();

/**
 * The declared type of each response column (join keys, then features in request order), so the
 * response encodes values as Feast's server does: whole-number floats as `1.0`, timestamps as epoch
 * seconds. Resolved once per registry snapshot and selector; undefined where a type is unknown.
 */
export function columnTypes(
  data: RegistryData,
  selector: FeatureSelector,
  featureNames: readonly string[],
): ReadonlyArray<ValueType | undefined> {
  const arr = selector.features;
  if (arr !== undefined) {
    const hit = byArray.get(arr);
    if (hit !== undefined && hit.data === data && hit.types.length === featureNames.length) return hit.types;
  }
  const types = typesOf(data, selector, featureNames);
  if (arr !== undefined) byArray.set(arr, { data, types });
  return types;
}

function typesOf(data: RegistryData, selector: FeatureSelector, featureNames: readonly string[]): ReadonlyArray<ValueType | undefined> {
  const key =
    selector.featureService !== undefined
      ? `svc\u0000${typeof selector.featureService === 'string' ? selector.featureService : selector.featureService.name}`
      : `ref\u0000${selector.features.join('\u0000')}`;
  let perData = cache.get(data);
  if (!perData) cache.set(data, (perData = new Map()));
  const hit = perData.get(key);
  if (hit && hit.length === featureNames.length) return hit;
  const resolved = resolveFeatures(data, selector);
  const byPrefix = new Map<string, Map<string, ValueType>>();
  const keyTypes = new Map<string, ValueType>();
  for (const rv of resolved.views) {
    byPrefix.set(rv.prefix, new Map(rv.view.features.map((f) => [f.name, f.dtype])));
    for (const c of rv.view.entityColumns) keyTypes.set(c.name, c.dtype);
  }
  for (const ro of resolved.odfvs) byPrefix.set(ro.prefix, new Map(ro.view.features.map((f) => [f.name, f.dtype])));
  const nKeys = featureNames.length - resolved.outputs.length;
  const types: Array<ValueType | undefined> = featureNames.map((name, c) =>
    c < nKeys ? keyTypes.get(name) : byPrefix.get(resolved.outputs[c - nKeys]!.prefix)?.get(resolved.outputs[c - nKeys]!.feature),
  );
  perData.set(key, types);
  return types;
}
