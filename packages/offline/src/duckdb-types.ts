import { elementType, isArrayType, type ScalarType, type ValueType } from '@frec/core/spi';
import { ident } from './sql.js';

/** The DuckDB SQL type a value type is stored as in Parquet. */
export function duckdbTypeOf(t: ValueType): string {
  const base: Record<ScalarType, string> = {
    int32: 'INTEGER',
    int64: 'BIGINT',
    float32: 'FLOAT',
    float64: 'DOUBLE',
    bool: 'BOOLEAN',
    string: 'VARCHAR',
    bytes: 'BLOB',
    unix_timestamp: 'TIMESTAMP WITH TIME ZONE',
  };
  const b = base[elementType(t)];
  return isArrayType(t) ? `${b}[]` : b;
}

type Category = 'int' | 'float' | 'bool' | 'string' | 'bytes' | 'timestamp' | 'other';

/** The family a DuckDB column type belongs to, for compatibility checks. */
function categoryOf(duckType: string): Category {
  const t = duckType.toUpperCase();
  if (/^(U?TINYINT|U?SMALLINT|U?INTEGER|U?BIGINT|U?HUGEINT)$/.test(t)) return 'int';
  if (/^(FLOAT|DOUBLE|DECIMAL.*)$/.test(t)) return 'float';
  if (t === 'BOOLEAN') return 'bool';
  if (t === 'VARCHAR') return 'string';
  if (t === 'BLOB') return 'bytes';
  if (t.startsWith('TIMESTAMP') || t === 'DATE') return 'timestamp';
  return 'other';
}

/** The element type of a DuckDB LIST (`X[]`) or ARRAY (`X[3]`) type, or undefined for scalars. */
function listElement(duckType: string): string | undefined {
  const m = /^(.*)\[\d*\]$/.exec(duckType.trim());
  return m ? m[1] : undefined;
}

const DECLARED_CATEGORY: Record<string, Category> = {
  int32: 'int',
  int64: 'int',
  float32: 'float',
  float64: 'float',
  bool: 'bool',
  string: 'string',
  bytes: 'bytes',
  unix_timestamp: 'timestamp',
};

/**
 * Whether a column of `actual` DuckDB type can hold values of the declared type: the same
 * family, or integers where floats are declared (widening never loses a value's meaning).
 */
export function isCompatible(declared: ValueType, actual: string, options: { widenIntToFloat?: boolean } = {}): boolean {
  const el = listElement(actual);
  if (isArrayType(declared) !== (el !== undefined)) return false;
  const want = DECLARED_CATEGORY[elementType(declared)];
  const have = categoryOf(el ?? actual);
  if (want === have) return true;
  return (options.widenIntToFloat ?? true) && want === 'float' && have === 'int';
}

/** An expression giving `column` as the declared type, casting only when the stored type differs. */
export function asDeclared(expr: string, declared: ValueType, actual: string): string {
  const target = duckdbTypeOf(declared);
  return actual.toUpperCase() === target ? expr : `CAST(${expr} AS ${target})`;
}

/** Whether a DuckDB type can serve as an event timestamp. */
export function isTimestampType(actual: string): boolean {
  const c = categoryOf(actual);
  return c === 'timestamp' || c === 'string';
}

/**
 * An expression giving a timestamp column as a timezone-naive UTC TIMESTAMP, the one type every
 * join compares in. Zoned instants are converted by arithmetic, so no time zone database is needed.
 */
export function asUtcTimestamp(expr: string, actual: string): string {
  const t = actual.toUpperCase();
  if (t === 'TIMESTAMP') return expr;
  // Floored to the microsecond (exactly, whatever the sign); subMicroNanos keeps the rest for comparisons.
  if (t === 'TIMESTAMP_NS') return `make_timestamp((epoch_ns(${expr}) - ${subMicroNanos(expr, t)}) // 1000)`;
  if (t === 'TIMESTAMP WITH TIME ZONE' || t === 'TIMESTAMPTZ') return `make_timestamp(epoch_us(${expr}))`;
  if (t === 'VARCHAR') return `make_timestamp(epoch_us(CAST(${expr} AS TIMESTAMPTZ)))`;
  return `CAST(${expr} AS TIMESTAMP)`;
}

/**
 * The nanoseconds (0-999) past the microsecond `asUtcTimestamp` floors a TIMESTAMP_NS column to,
 * or undefined for a type with no finer precision than microseconds. A join compares
 * (asUtcTimestamp, subMicroNanos) pairs, so a row 1 ns after the entity time never matches.
 */
export function subMicroNanos(expr: string, actual: string): string | undefined {
  if (actual.toUpperCase() !== 'TIMESTAMP_NS') return undefined;
  return `CAST(((epoch_ns(${expr}) % 1000) + 1000) % 1000 AS INTEGER)`;
}

/** A column reference `alias."name"`. */
export function col(alias: string, name: string): string {
  return `${alias}.${ident(name)}`;
}
