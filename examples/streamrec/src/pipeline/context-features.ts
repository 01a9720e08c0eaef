import { runTransform, type FeatureStore } from '@frec/core';
import { requestContextAt, writeContextVector, CONTEXT_VECTOR_NAMES } from '../training-sets/vectorize.js';

/** Builds the request-context vector with the registry's context_features transform, the one serving runs. */
export async function contextVectorFn(store: FeatureStore): Promise<(atMs: number) => Float32Array> {
  const spec = await store.registry.getOnDemandFeatureView('context_features');
  const fn = store.transformOf(spec.name, spec);
  return (atMs) => {
    const out = new Float32Array(CONTEXT_VECTOR_NAMES.length);
    writeContextVector(runTransform(spec, fn, requestContextAt(atMs)), out, 0);
    return out;
  };
}
