import type { DeepPartial, StepConfigs } from '../pipeline/config.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Step settings layered: `over`'s values replace `base`'s, objects merged key by key. */
export function mergeStepConfigs(base: DeepPartial<StepConfigs>, over: DeepPartial<StepConfigs> = {}): DeepPartial<StepConfigs> {
  const merge = (a: unknown, b: unknown): unknown => {
    if (!isObject(a) || !isObject(b)) return b === undefined ? a : b;
    const out: Record<string, unknown> = { ...a };
    for (const [k, v] of Object.entries(b)) out[k] = merge(a[k], v);
    return out;
  };
  return merge(base, over) as DeepPartial<StepConfigs>;
}
