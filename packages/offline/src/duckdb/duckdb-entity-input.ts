import path from 'node:path';
import { BIGINT, BLOB, BOOLEAN, DOUBLE, LIST, TIMESTAMPTZ, VARCHAR, type DuckDBConnection, type DuckDBType } from '@duckdb/node-api';
import type { Table } from 'apache-arrow';
import { ErrorCode, RequestError, type EntityInput, type FileSourceSpec, type ValueType } from '@frec/core';
import { MAX_TIME_MS, MIN_TIME_MS, TIME_RANGE_TEXT, coerceValue, didYouMean, isSupportedTimeMs } from '@frec/core/spi';
import { ENTITY_ROW_COLUMN } from '../point-in-time-join.js';
import { SourceNotFoundError } from '../errors.js';
import { ident, literal, readParquet } from '../sql.js';
import { sourceGlob } from '../file-source.js';
import { createTableFromColumns, describe, queryRows } from './duckdb-connection.js';
import { duckTypeOfArrow, duckTypeOfValueType, fromArrowValue } from './duckdb-arrow.js';

/** Entity rows made readable by DuckDB: a FROM item carrying `__frec_row`, and its user columns with types. */
export interface EntityRelation {
  from: string;
  columns: Map<string, string>;
}

export interface EntityContext {
  /** The entity rows' timestamp column. */
  timestampColumn: string;
  /** Join keys the request needs, with their declared types. */
  keyTypes: ReadonlyMap<string, ValueType>;
  /** Repo folder: relative Parquet paths are read from here. */
  repoPath: string;
  /** Sources a SQL entity query may name as tables. */
  sources: readonly FileSourceSpec[];
  /** A table name unique to this request. */
  table: string;
}

const entityError = (
  message: string,
  hint: string,
  code: ErrorCode = ErrorCode.INVALID_ENTITY_ROWS,
  where: Record<string, string | number> = {},
) => new RequestError(code, message, { hint, where });

/** Loads any entity input into DuckDB (or points at it) and returns the relation to join. */
export async function loadEntities(conn: DuckDBConnection, input: EntityInput, ctx: EntityContext): Promise<EntityRelation> {
  let from: string;
  if (Array.isArray(input)) {
    await loadObjects(conn, input as ReadonlyArray<Record<string, unknown>>, ctx);
    from = ident(ctx.table);
  } else if (input && typeof input === 'object' && 'parquet' in input && typeof input.parquet === 'string') {
    const p = path.isAbsolute(input.parquet) ? input.parquet : path.join(ctx.repoPath, input.parquet);
    const [hit] = await queryRows(conn, `SELECT count(*) AS n FROM glob(${literal(p)})`);
    if (Number(hit?.n ?? 0) === 0) {
      throw new SourceNotFoundError(`Entity Parquet path '${p}' matches no file.`, {
        where: { file: p },
        hint: 'Pass an existing file or glob; relative paths are read from the feature repo folder.',
      });
    }
    // The ordinal follows file order (glob order) and row order within files: DuckDB keeps insertion order.
    from = `(SELECT *, row_number() OVER () - 1 AS ${ENTITY_ROW_COLUMN} FROM ${readParquet([p])})`;
  } else if (input && typeof input === 'object' && 'sql' in input && typeof input.sql === 'string') {
    await registerSourceViews(conn, ctx);
    try {
      await conn.run(
        `CREATE OR REPLACE TEMP TABLE ${ident(ctx.table)} AS SELECT *, row_number() OVER () - 1 AS ${ENTITY_ROW_COLUMN} FROM (${input.sql})`,
      );
    } catch (err) {
      throw entityError(
        `Entity SQL query failed: ${(err as Error).message}`,
        `Tables available: ${ctx.sources.map((s) => s.name).join(', ') || '(none)'}.`,
      );
    }
    from = ident(ctx.table);
  } else if (input && typeof input === 'object' && 'arrow' in input) {
    await loadArrow(conn, input.arrow as Table, ctx);
    from = ident(ctx.table);
  } else {
    throw entityError(
      'Entity rows must be an array of objects, { parquet: path }, { sql: query } or { arrow: Table }.',
      'Pass entities in one of those forms.',
    );
  }
  const columns = await describe(conn, from);
  columns.delete(ENTITY_ROW_COLUMN);
  checkColumns(columns, ctx);
  const tsType = columns.get(ctx.timestampColumn)!;
  if (INTEGER_TYPE.test(tsType)) {
    // Integer times (a Parquet BIGINT, an Arrow Int64) are epoch milliseconds, as everywhere in frec.
    await checkEpochMillis(conn, from, ctx.timestampColumn);
    const ts = ident(ctx.timestampColumn);
    from = `(SELECT * REPLACE (make_timestamp(CAST(${ts} AS BIGINT) * 1000) AS ${ts}) FROM ${from})`;
    columns.set(ctx.timestampColumn, 'TIMESTAMP');
  }
  return { from, columns };
}

const INTEGER_TYPE = /^U?(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT)$/i;
/** Epoch milliseconds below this (1973-03-03) are far more likely epoch seconds (years 1970-5138) sent by mistake. */
const MIN_PLAUSIBLE_MS = 1e11;
const SECONDS_HINT = 'Integer entity times are epoch milliseconds: multiply epoch seconds by 1000, or pass Dates or ISO strings.';

/** A number as an entity time: epoch ms within frec's range, and not one that reads as epoch seconds. */
function checkEpochMs(ms: number, row: number, column: string): void {
  if (Math.abs(ms) < MIN_PLAUSIBLE_MS) {
    throw entityError(
      `Entity row ${row}: '${column}' is ${ms}, which reads as epoch seconds, not milliseconds (1970-01-01 + ${ms} ms).`,
      SECONDS_HINT,
      ErrorCode.WRONG_TYPE,
      { row, column },
    );
  }
  if (!isSupportedTimeMs(ms)) {
    throw entityError(
      `Entity row ${row}: '${column}' is ${ms}, outside ${TIME_RANGE_TEXT} as epoch milliseconds.`,
      SECONDS_HINT,
      ErrorCode.WRONG_TYPE,
      { row, column },
    );
  }
}

/** The same check over an integer time column of a Parquet, Arrow or SQL input: its first bad row. */
async function checkEpochMillis(conn: DuckDBConnection, from: string, column: string): Promise<void> {
  const c = ident(column);
  const [bad] = await queryRows(
    conn,
    `SELECT ${ENTITY_ROW_COLUMN} AS r, CAST(${c} AS DOUBLE) AS v FROM ${from} WHERE ${c} IS NOT NULL AND (abs(CAST(${c} AS DOUBLE)) < ${MIN_PLAUSIBLE_MS} OR CAST(${c} AS DOUBLE) < ${MIN_TIME_MS} OR CAST(${c} AS DOUBLE) > ${MAX_TIME_MS}) ORDER BY 1 LIMIT 1`,
  );
  if (bad) checkEpochMs(Number(bad.v), Number(bad.r), column);
}

/** A value for an error message: JSON where JSON can say it (bigint, undefined and symbols cannot). */
function show(v: unknown): string {
  if (typeof v === 'bigint') return `${v}n`;
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/** The timestamp column and every join key must be present, with usable types. */
function checkColumns(columns: Map<string, string>, ctx: EntityContext): void {
  const names = [...columns.keys()];
  const tsType = columns.get(ctx.timestampColumn);
  if (tsType === undefined) {
    throw entityError(
      `Entity rows have no timestamp column '${ctx.timestampColumn}'.${didYouMean(ctx.timestampColumn, names)}`,
      `Add a '${ctx.timestampColumn}' column, or pass timestampColumn to name the one you have (columns: ${names.join(', ') || 'none'}).`,
      ErrorCode.INVALID_ENTITY_ROWS,
      { column: ctx.timestampColumn },
    );
  }
  if (!/^(TIMESTAMP.*|DATE|VARCHAR)$/i.test(tsType) && !INTEGER_TYPE.test(tsType)) {
    throw entityError(
      `Entity timestamp column '${ctx.timestampColumn}' is ${tsType}, not a timestamp.`,
      'Give event times as Dates, ISO strings, timestamp columns or integer epoch milliseconds.',
      ErrorCode.WRONG_TYPE,
      {
        column: ctx.timestampColumn,
      },
    );
  }
  for (const [key, declared] of ctx.keyTypes) {
    const actual = columns.get(key);
    if (actual === undefined) {
      throw entityError(
        `Entity rows have no join key column '${key}'.${didYouMean(key, names)}`,
        `Add '${key}' to every entity row.`,
        ErrorCode.MISSING_JOIN_KEY,
        { column: key },
      );
    }
    if (!keyTypeFits(declared, actual)) {
      throw entityError(
        `Join key '${key}' of the entity rows is ${actual}, but its entity declares ${declared}.`,
        `Give '${key}' values of type ${declared}.`,
        ErrorCode.WRONG_TYPE,
        {
          column: key,
        },
      );
    }
  }
}

/** Join keys must be of the declared family; integer widths may differ. */
function keyTypeFits(declared: ValueType, actual: string): boolean {
  const a = actual.toUpperCase();
  if (declared === 'int32' || declared === 'int64') return /^U?(TINYINT|SMALLINT|INTEGER|BIGINT)$/.test(a);
  if (declared === 'string') return a === 'VARCHAR';
  if (declared === 'bytes') return a === 'BLOB';
  if (declared === 'bool') return a === 'BOOLEAN';
  if (declared === 'float32' || declared === 'float64') return a === 'FLOAT' || a === 'DOUBLE';
  return a.startsWith('TIMESTAMP');
}

/** Every registered file source (and push/stream batch source) becomes a view named after the source. */
async function registerSourceViews(conn: DuckDBConnection, ctx: EntityContext): Promise<void> {
  for (const s of ctx.sources) {
    const g = sourceGlob(s, ctx.repoPath);
    const [hit] = await queryRows(conn, `SELECT count(*) AS n FROM glob(${literal(g)})`);
    if (Number(hit?.n ?? 0) === 0) continue;
    await conn.run(`CREATE OR REPLACE TEMP VIEW ${ident(s.name)} AS SELECT * FROM ${readParquet([g])}`);
  }
}

/**
 * An int64 join key for DuckDB's BIGINT column: a safe number as is; a bigint, or a string of digits,
 * exactly (keys past 2^53 cannot be JS numbers); anything else, or a number past 2^53 (its digits are
 * already lost), undefined.
 */
function int64Key(v: unknown): number | bigint | null | undefined {
  if (v === null) return null;
  if (typeof v === 'number') return Number.isSafeInteger(v) ? v : undefined;
  const b = typeof v === 'bigint' ? v : typeof v === 'string' && /^-?\d{1,19}$/.test(v.trim()) ? BigInt(v.trim()) : undefined;
  if (b === undefined || b < -(2n ** 63n) || b >= 2n ** 63n) return undefined;
  return Number.isSafeInteger(Number(b)) ? Number(b) : b;
}

/** Infers a column type from JS values: the first non-null value decides, and every other value must agree. */
function inferType(name: string, values: readonly unknown[]): DuckDBType {
  let kind: string | undefined;
  let allInts = true;
  let elem: DuckDBType | undefined;
  for (const v of values) {
    if (v === null || v === undefined) continue;
    const k = v instanceof Date ? 'date' : v instanceof Uint8Array ? 'bytes' : Array.isArray(v) ? 'array' : typeof v;
    if (kind === undefined) kind = k;
    else if (kind !== k) {
      throw entityError(
        `Entity column '${name}' mixes ${kind} and ${k} values.`,
        `Give '${name}' values of one type.`,
        ErrorCode.WRONG_TYPE,
        { column: name },
      );
    }
    if (k === 'number' && !Number.isSafeInteger(v)) allInts = false;
    if (k === 'array' && elem === undefined && (v as unknown[]).length > 0) elem = inferType(name, v as unknown[]);
  }
  switch (kind) {
    case 'number':
      return allInts ? BIGINT : DOUBLE;
    case 'bigint':
      return BIGINT;
    case 'boolean':
      return BOOLEAN;
    case 'date':
      return TIMESTAMPTZ;
    case 'bytes':
      return BLOB;
    case 'array':
      return LIST(elem ?? VARCHAR);
    default:
      return VARCHAR;
  }
}

/** Entity rows given as objects: checked, typed (join keys by their declared types) and appended in chunks. */
async function loadObjects(conn: DuckDBConnection, rows: ReadonlyArray<Record<string, unknown>>, ctx: EntityContext): Promise<void> {
  const names: string[] = [];
  const seen = new Set<string>();
  for (const r of rows) {
    for (const k of Object.keys(r)) {
      if (seen.has(k)) continue;
      seen.add(k);
      names.push(k);
    }
  }
  if (rows.length === 0) {
    // No rows: the result still has the columns a non-empty request would have.
    for (const k of [...ctx.keyTypes.keys(), ctx.timestampColumn]) {
      if (seen.has(k)) continue;
      seen.add(k);
      names.push(k);
    }
  }
  const columns = names.map((name) => {
    const declared: ValueType | undefined = name === ctx.timestampColumn ? 'unix_timestamp' : ctx.keyTypes.get(name);
    const values: unknown[] = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      const v = row[name];
      if (declared === undefined) {
        values[i] = v === undefined ? null : v;
        continue;
      }
      if (v === undefined && rows.length > 0) {
        const what = name === ctx.timestampColumn ? `timestamp column '${name}'` : `join key '${name}'`;
        throw entityError(
          `Entity row ${i} has no ${what}.`,
          `Give every entity row a '${name}' value.`,
          name === ctx.timestampColumn ? ErrorCode.INVALID_ENTITY_ROWS : ErrorCode.MISSING_JOIN_KEY,
          {
            row: i,
            column: name,
          },
        );
      }
      if (name === ctx.timestampColumn && (typeof v === 'number' || typeof v === 'bigint')) checkEpochMs(Number(v), i, name);
      const c = declared === 'int64' ? int64Key(v) : coerceValue(declared, v);
      if (c === undefined || (c === null && name === ctx.timestampColumn)) {
        throw entityError(
          `Entity row ${i}: '${name}' is ${show(v)}, not a ${declared}${name === ctx.timestampColumn ? ` within ${TIME_RANGE_TEXT}` : ''}.`,
          `Give '${name}' values of type ${declared}.`,
          ErrorCode.WRONG_TYPE,
          {
            row: i,
            column: name,
          },
        );
      }
      values[i] = c;
    }
    const type = declared !== undefined ? duckTypeOfValueType(declared) : inferType(name, values);
    return { name, type, values };
  });
  const rowIds = Array.from({ length: rows.length }, (_, i) => i);
  await createTableFromColumns(conn, ctx.table, [...columns, { name: ENTITY_ROW_COLUMN, type: BIGINT, values: rowIds }], rows.length);
}

/** Entity rows given as an Arrow table: each column keeps its Arrow type, mapped to DuckDB's. */
async function loadArrow(conn: DuckDBConnection, table: Table, ctx: EntityContext): Promise<void> {
  if (!table || typeof table !== 'object' || !('schema' in table) || typeof table.getChild !== 'function') {
    throw entityError('entities.arrow must be an apache-arrow Table.', 'Pass { arrow: tableFromArrays({...}) } or similar.');
  }
  const n = table.numRows;
  const columns = table.schema.fields.map((f) => {
    const type = duckTypeOfArrow(f.type);
    const vec = table.getChild(f.name)!;
    const values: unknown[] = new Array(n);
    for (let i = 0; i < n; i++) values[i] = fromArrowValue(vec.get(i), type);
    return { name: f.name, type, values };
  });
  const rowIds = Array.from({ length: n }, (_, i) => i);
  await createTableFromColumns(conn, ctx.table, [...columns, { name: ENTITY_ROW_COLUMN, type: BIGINT, values: rowIds }], n);
}
