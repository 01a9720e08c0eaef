import { DuckDBDataChunk, DuckDBDoubleVector, JSToDuckDBValueConverter, type DuckDBConnection, type DuckDBType } from '@duckdb/node-api';
import { ident } from '../sql.js';

/** DuckDB's vector size: chunks of this many rows are appended at once. */
const CHUNK_ROWS = 2048;

/** Runs a statement and returns its rows as objects (for small metadata queries). */
export async function queryRows(conn: DuckDBConnection, sql: string): Promise<Array<Record<string, unknown>>> {
  const reader = await conn.runAndReadAll(sql);
  return reader.getRowObjectsJS() as Array<Record<string, unknown>>;
}

/** The columns and DuckDB types of a relation (a table, view, subquery or table function). */
export async function describe(conn: DuckDBConnection, from: string): Promise<Map<string, string>> {
  const rows = await queryRows(conn, `DESCRIBE SELECT * FROM ${from}`);
  return new Map(rows.map((r) => [String(r.column_name), String(r.column_type)]));
}

/**
 * Creates a temporary table and fills it from column-major JS values, a chunk at a time,
 * so loading rows costs one native call per 2048 rows and column.
 */
export async function createTableFromColumns(
  conn: DuckDBConnection,
  table: string,
  columns: ReadonlyArray<{ name: string; type: DuckDBType; values: readonly unknown[] }>,
  rowCount: number,
): Promise<void> {
  await conn.run(
    `CREATE OR REPLACE TEMP TABLE ${ident(table)} (${columns.map((c) => `${ident(c.name)} ${c.type.toString()}`).join(', ')})`,
  );
  await appendColumns(
    conn,
    table,
    columns.map((c) => c.type),
    columns.map((c) => c.values),
    rowCount,
    { temp: true },
  );
}

/**
 * A DOUBLE column of a result chunk as numbers, read in place: the vector's own Float64Array when
 * the installed @duckdb/node-api exposes it, so no per-value call or validity test (a BigInt
 * operation per value in node-api). Only for columns the SQL makes non-null (NaN for "no value"):
 * the array's entries under a null are undefined.
 */
export function doublesOf(chunk: DuckDBDataChunk, column: number): ArrayLike<number> {
  const v = chunk.getColumnVector(column);
  const items = v instanceof DuckDBDoubleVector ? (v as unknown as { items?: unknown }).items : undefined;
  if (items instanceof Float64Array && items.length === chunk.rowCount) return items;
  return chunk.getColumnValues(column).map((x) => (typeof x === 'number' ? x : Number.NaN));
}

/** Appends column-major JS values to an existing table. */
export async function appendColumns(
  conn: DuckDBConnection,
  table: string,
  types: readonly DuckDBType[],
  values: ReadonlyArray<readonly unknown[]>,
  rowCount: number,
  options: { temp?: boolean } = {},
): Promise<void> {
  if (rowCount === 0) return;
  // Temporary tables live in the 'temp' catalog, which the appender does not search by itself.
  const appender = options.temp ? await conn.createAppender(table, 'main', 'temp') : await conn.createAppender(table);
  try {
    for (let start = 0; start < rowCount; start += CHUNK_ROWS) {
      const n = Math.min(CHUNK_ROWS, rowCount - start);
      const chunk = DuckDBDataChunk.create(types, n);
      values.forEach((v, i) => chunk.setColumnValuesConverted(i, v.slice(start, start + n) as never[], JSToDuckDBValueConverter));
      appender.appendDataChunk(chunk);
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
}
