import { isSupportedTimeMs } from './time-range.js';

/** The scalar types a feature or entity key can have. */
export const SCALAR_TYPES = ['int32', 'int64', 'float32', 'float64', 'bool', 'string', 'bytes', 'unix_timestamp'] as const;
/** A scalar value type. */
export type ScalarType = (typeof SCALAR_TYPES)[number];
/** A feature's type: a scalar, or an array of one ('float32[]' for an embedding, 'int64[]' for "last 10 items"). */
export type ValueType = ScalarType | `${ScalarType}[]`;

/** Every value type: the scalars and an array of each. */
export const VALUE_TYPES: readonly ValueType[] = [...SCALAR_TYPES, ...SCALAR_TYPES.map((t) => `${t}[]` as const)];

/** 32-bit integer feature type. */
export const Int32 = 'int32' as const;
/** 64-bit integer feature type. */
export const Int64 = 'int64' as const;
/** 32-bit float feature type. */
export const Float32 = 'float32' as const;
/** 64-bit float feature type. */
export const Float64 = 'float64' as const;
/** Boolean feature type. */
export const Bool = 'bool' as const;
/** UTF-8 string feature type. */
export const String = 'string' as const;
/** Binary feature type. */
export const Bytes = 'bytes' as const;
/** Timestamp feature type (a Date). */
export const UnixTimestamp = 'unix_timestamp' as const;

/** The array type of a scalar: `Array(Float32)` is 'float32[]'. */
export function Array<T extends ScalarType>(of: T): `${T}[]` {
  return `${of}[]`;
}

/** The TypeScript type a value of `T` has at run time (int64 is a safe-integer number; timestamps are Dates). */
export type TsTypeOf<T extends ValueType> = T extends `${infer S extends ScalarType}[]`
  ? Array<ScalarTsType<S>> | null
  : T extends ScalarType
    ? ScalarTsType<T> | null
    : never;

type ScalarTsType<S extends ScalarType> = S extends 'int32' | 'int64' | 'float32' | 'float64'
  ? number
  : S extends 'bool'
    ? boolean
    : S extends 'string'
      ? string
      : S extends 'bytes'
        ? Uint8Array
        : S extends 'unix_timestamp'
          ? Date
          : never;

/** A feature value as it travels through the SDK. */
export type FeatureValue =
  number | boolean | string | Uint8Array | Date | null | Array<number | boolean | string | Uint8Array | Date | null>;

/** True when `t` names a value type. */
export function isValueType(t: unknown): t is ValueType {
  return typeof t === 'string' && (VALUE_TYPES as readonly string[]).includes(t);
}

/** True for an array type such as 'float32[]'. */
export function isArrayType(t: ValueType): t is `${ScalarType}[]` {
  return t.endsWith('[]');
}

/** The scalar type of an array type, or the type itself for a scalar. */
export function elementType(t: ValueType): ScalarType {
  return (isArrayType(t) ? t.slice(0, -2) : t) as ScalarType;
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/**
 * Checks and normalizes one scalar value to the declared type; returns `undefined` when it does not fit.
 * Numeric strings are accepted for numbers (HTTP clients send them), bigint for int64 (DuckDB returns them).
 */
export function coerceScalar(t: ScalarType, v: unknown): Exclude<FeatureValue, unknown[]> | undefined {
  if (v === null || v === undefined) return null;
  switch (t) {
    case 'int32':
    case 'int64': {
      let n: number;
      if (typeof v === 'number') n = v;
      else if (typeof v === 'bigint') n = Number(v);
      else if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) n = Number(v);
      else return undefined;
      if (!Number.isSafeInteger(n)) return undefined;
      if (t === 'int32' && (n < INT32_MIN || n > INT32_MAX)) return undefined;
      return n;
    }
    case 'float32':
    case 'float64': {
      if (typeof v === 'number') return v;
      if (typeof v === 'bigint') return Number(v);
      // JSON cannot carry NaN: 'NaN' is read like 'Infinity' already was (whether a field takes them is checkNonFinite's call).
      if (v === 'NaN') return Number.NaN;
      if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v);
      return undefined;
    }
    case 'bool':
      return typeof v === 'boolean' ? v : undefined;
    case 'string':
      return typeof v === 'string' ? v : undefined;
    case 'bytes':
      if (v instanceof Uint8Array) return v;
      if (typeof v === 'string') return Buffer.from(v, 'base64');
      return undefined;
    case 'unix_timestamp': {
      // Times outside years 0001-9999 are refused like non-times: stored, they would break every read.
      if (v instanceof Date) return isSupportedTimeMs(v.getTime()) ? v : undefined;
      if (typeof v === 'number') return isSupportedTimeMs(v) ? new Date(v) : undefined;
      if (typeof v === 'bigint') return isSupportedTimeMs(Number(v)) ? new Date(Number(v)) : undefined;
      if (typeof v === 'string') {
        const d = new Date(v);
        return isSupportedTimeMs(d.getTime()) ? d : undefined;
      }
      return undefined;
    }
  }
}

/** Checks and normalizes a value (scalar or array) to `t`; returns `undefined` when it does not fit. */
export function coerceValue(t: ValueType, v: unknown): FeatureValue | undefined {
  if (v === null || v === undefined) return null;
  if (!isArrayType(t)) return coerceScalar(t, v);
  const items: unknown[] | undefined = globalThis.Array.isArray(v)
    ? v
    : ArrayBuffer.isView(v) && !(v instanceof DataView)
      ? globalThis.Array.from(v as unknown as ArrayLike<unknown>)
      : undefined;
  if (!items) return undefined;
  const et = elementType(t);
  const out: Array<Exclude<FeatureValue, unknown[]>> = new globalThis.Array(items.length);
  for (let i = 0; i < items.length; i++) {
    const c = coerceScalar(et, items[i]);
    if (c === undefined) return undefined;
    out[i] = c;
  }
  return out;
}

/** True for NaN or ±Infinity, or an array holding one. */
export function hasNonFinite(v: unknown): boolean {
  if (typeof v === 'number') return !Number.isFinite(v);
  if (globalThis.Array.isArray(v)) return v.some((x) => typeof x === 'number' && !Number.isFinite(x));
  if (v instanceof Float32Array || v instanceof Float64Array) return v.some((x) => !Number.isFinite(x));
  return false;
}

/** Whether a field may hold NaN and ±Infinity: only a float field declared `allowNonFinite`. */
export function allowsNonFinite(f: { dtype: ValueType; allowNonFinite?: boolean }): boolean {
  return f.allowNonFinite === true && elementType(f.dtype).startsWith('float');
}

/** The rule's wording in errors: what was refused and how to allow it. */
export const NON_FINITE_HINT =
  'Send a finite number or null, or declare the field with field(name, Float64, { allowNonFinite: true }) to store NaN and ±Infinity.';
