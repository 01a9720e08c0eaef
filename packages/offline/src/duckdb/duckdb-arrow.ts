import {
  BIGINT,
  BLOB,
  BOOLEAN,
  DOUBLE,
  DuckDBTypeId,
  FLOAT,
  INTEGER,
  LIST,
  TIMESTAMP,
  TIMESTAMPTZ,
  VARCHAR,
  type DuckDBType,
} from '@duckdb/node-api';
import * as arrow from 'apache-arrow';
import { type ScalarType, type ValueType } from '@frec/core';
import { elementType, isArrayType } from '@frec/core/spi';

const SCALAR_DUCK: Record<ScalarType, DuckDBType> = {
  int32: INTEGER,
  int64: BIGINT,
  float32: FLOAT,
  float64: DOUBLE,
  bool: BOOLEAN,
  string: VARCHAR,
  bytes: BLOB,
  unix_timestamp: TIMESTAMPTZ,
};

/** The DuckDB type that holds values of a declared frec type. */
export function duckTypeOfValueType(t: ValueType): DuckDBType {
  const base = SCALAR_DUCK[elementType(t)];
  return isArrayType(t) ? LIST(base) : base;
}

/** The Arrow type a DuckDB column is returned as; every timestamp becomes milliseconds in UTC. */
export function arrowTypeOf(t: DuckDBType): arrow.DataType {
  switch (t.typeId) {
    case DuckDBTypeId.BOOLEAN:
      return new arrow.Bool();
    case DuckDBTypeId.TINYINT:
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.UTINYINT:
    case DuckDBTypeId.USMALLINT:
      return new arrow.Int32();
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UINTEGER:
      return new arrow.Int64();
    case DuckDBTypeId.FLOAT:
      return new arrow.Float32();
    case DuckDBTypeId.DOUBLE:
    case DuckDBTypeId.DECIMAL:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UBIGINT:
      return new arrow.Float64();
    case DuckDBTypeId.BLOB:
      return new arrow.Binary();
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_TZ:
    case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_MS:
    case DuckDBTypeId.TIMESTAMP_NS:
    case DuckDBTypeId.DATE:
      return new arrow.TimestampMillisecond('UTC');
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY:
      return new arrow.List(new arrow.Field('item', arrowTypeOf((t as { valueType: DuckDBType }).valueType), true));
    default:
      return new arrow.Utf8();
  }
}

/** The DuckDB type an Arrow column is loaded as (entity rows given as an Arrow table). */
export function duckTypeOfArrow(t: arrow.DataType): DuckDBType {
  if (arrow.DataType.isBool(t)) return BOOLEAN;
  if (arrow.DataType.isInt(t)) return t.bitWidth === 64 || (!t.isSigned && t.bitWidth === 32) ? BIGINT : INTEGER;
  if (arrow.DataType.isFloat(t)) return t.precision === arrow.Precision.SINGLE ? FLOAT : DOUBLE;
  if (arrow.DataType.isBinary(t) || arrow.DataType.isLargeBinary(t) || arrow.DataType.isFixedSizeBinary(t)) return BLOB;
  if (arrow.DataType.isTimestamp(t)) return t.timezone ? TIMESTAMPTZ : TIMESTAMP;
  if (arrow.DataType.isDate(t)) return TIMESTAMP;
  if (arrow.DataType.isList(t) || arrow.DataType.isFixedSizeList(t)) return LIST(duckTypeOfArrow(t.children[0]!.type));
  if (arrow.DataType.isDictionary(t)) return duckTypeOfArrow(t.dictionary);
  return VARCHAR;
}

/** Converts a JS value read from an Arrow vector into what the DuckDB JS converter takes for `t`. */
export function fromArrowValue(v: unknown, t: DuckDBType): unknown {
  if (v === null || v === undefined) return null;
  switch (t.typeId) {
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_TZ:
      return v instanceof Date ? v : new Date(Number(v));
    case DuckDBTypeId.VARCHAR:
      return typeof v === 'string' ? v : String(v);
    case DuckDBTypeId.LIST: {
      const child = (t as { valueType: DuckDBType }).valueType;
      const items = Array.isArray(v) ? v : Array.from((v as { toArray(): ArrayLike<unknown> }).toArray?.() ?? (v as ArrayLike<unknown>));
      return items.map((x) => fromArrowValue(x, child));
    }
    default:
      return v;
  }
}

/** Converts a JS value from DuckDB into what the Arrow builder of `t` takes. */
function toArrowValue(v: unknown, t: DuckDBType): unknown {
  if (v === null || v === undefined) return null;
  switch (t.typeId) {
    case DuckDBTypeId.UINTEGER:
      return BigInt(v as number);
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UBIGINT:
      return Number(v);
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY: {
      const child = (t as { valueType: DuckDBType }).valueType;
      return (v as unknown[]).map((x) => toArrowValue(x, child));
    }
    default:
      return v;
  }
}

/** Builds an Arrow record batch from column-major JS values as DuckDB returns them. */
export function toRecordBatch(names: readonly string[], types: readonly DuckDBType[], columns: readonly unknown[][]): arrow.RecordBatch {
  const vectors: Record<string, arrow.Vector> = {};
  names.forEach((name, i) => {
    const t = types[i]!;
    const needsMap =
      t.typeId === DuckDBTypeId.LIST ||
      t.typeId === DuckDBTypeId.ARRAY ||
      t.typeId === DuckDBTypeId.UINTEGER ||
      t.typeId === DuckDBTypeId.HUGEINT ||
      t.typeId === DuckDBTypeId.UBIGINT;
    const values = needsMap ? columns[i]!.map((v) => toArrowValue(v, t)) : columns[i]!;
    vectors[name] = arrow.vectorFromArray(values as unknown[], arrowTypeOf(t));
  });
  return new arrow.Table(vectors).batches[0] ?? emptyBatch(names, types);
}

/** The Arrow schema of a result. */
export function arrowSchema(names: readonly string[], types: readonly DuckDBType[]): arrow.Schema {
  return new arrow.Schema(names.map((n, i) => new arrow.Field(n, arrowTypeOf(types[i]!), true)));
}

/** A batch with the result's columns and no rows. */
export function emptyBatch(names: readonly string[], types: readonly DuckDBType[]): arrow.RecordBatch {
  const schema = arrowSchema(names, types);
  const children = schema.fields.map((f) => arrow.makeData({ type: f.type, length: 0, nullCount: 0 } as never));
  return new arrow.RecordBatch(schema, arrow.makeData({ type: new arrow.Struct(schema.fields), length: 0, nullCount: 0, children }));
}

/** Converts a value DuckDB returned into the plain JS form rows use: safe integers as numbers, timestamps as Dates. */
export function toPlainValue(v: unknown): unknown {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v;
  if (Array.isArray(v)) return v.map(toPlainValue);
  return v;
}
