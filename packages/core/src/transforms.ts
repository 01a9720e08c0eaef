import { DefinitionError, ErrorCode, RequestError } from './errors.js';
import type { Transform } from './definitions/on-demand-feature-view.js';
import type { OnDemandFeatureViewSpec } from './definitions/specs.js';
import { coerceValue } from './value-types.js';

const compiled = new Map<string, Transform>();

/**
 * Rebuilds a transform from its stored source text (for servers that load only the registry).
 * Method shorthand (`transform(r) {...}`) is turned back into a function expression.
 */
export function compileTransform(spec: OnDemandFeatureViewSpec): Transform {
  const hit = compiled.get(spec.transformSource);
  if (hit) return hit;
  let src = spec.transformSource.trim();
  if (!/^(async\s+)?(function\b|\(|[A-Za-z_$][\w$]*\s*=>)/.test(src)) src = `function ${src}`;
  try {
    const fn = new Function(`"use strict"; return (${src});`)() as Transform;
    if (typeof fn !== 'function') throw new Error('source does not evaluate to a function');
    compiled.set(spec.transformSource, fn);
    return fn;
  } catch (err) {
    throw new DefinitionError(
      `Transform of on-demand view '${spec.name}' cannot be rebuilt from the registry: ${(err as Error).message}.`,
      {
        where: { featureView: spec.name },
        hint: 'Keep transforms self-contained functions with no references to imports or module variables.',
      },
    );
  }
}

/** Runs a transform on one row and checks each output against the declared schema. */
export function runTransform(spec: OnDemandFeatureViewSpec, fn: Transform, row: Record<string, unknown>): Record<string, unknown> {
  let out: Record<string, unknown>;
  try {
    out = fn(row);
  } catch (err) {
    throw new RequestError(ErrorCode.INVALID_REQUEST, `Transform of on-demand view '${spec.name}' threw: ${(err as Error).message}.`, {
      where: { featureView: spec.name },
      cause: err,
    });
  }
  const result: Record<string, unknown> = {};
  for (const f of spec.features) {
    const v = coerceValue(f.dtype, out?.[f.name]);
    if (v === undefined) {
      throw new RequestError(
        ErrorCode.WRONG_TYPE,
        `Transform of on-demand view '${spec.name}' returned ${JSON.stringify(out?.[f.name])} for '${f.name}', declared ${f.dtype}.`,
        {
          where: { featureView: spec.name, feature: f.name },
          hint: 'Return a value of the declared type (or null).',
        },
      );
    }
    result[f.name] = v;
  }
  return result;
}
