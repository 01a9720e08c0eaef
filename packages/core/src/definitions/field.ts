import type { ValueType } from '../value-types.js';
import type { FieldSpec } from './specs.js';

/** A named, typed column of a feature view, request source or on-demand view. */
export interface Field<N extends string = string, T extends ValueType = ValueType> {
  readonly name: N;
  readonly dtype: T;
  readonly description?: string;
  readonly tags?: Record<string, string>;
  /** A float field that may hold NaN and ±Infinity; any other field refuses them (see docs/values.md). */
  readonly allowNonFinite?: boolean;
}

/**
 * Declares a field.
 * @example field('mean_rating', Float64)
 */
export function field<const N extends string, const T extends ValueType>(
  name: N,
  dtype: T,
  options: { description?: string; tags?: Record<string, string>; allowNonFinite?: boolean } = {},
): Field<N, T> {
  return { name, dtype, ...options };
}

/** The stored form of a field, with empty description and tags filled in. */
export function fieldToSpec(f: Field): FieldSpec {
  // Only a set flag is stored, so specs applied before the option existed compare equal.
  return {
    name: f.name,
    dtype: f.dtype,
    description: f.description ?? '',
    tags: f.tags ?? {},
    ...(f.allowNonFinite ? { allowNonFinite: true } : {}),
  };
}
