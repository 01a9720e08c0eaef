import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

/** Runs `fn` with a fresh in-memory DuckDB connection in UTC, and always closes it. */
export async function withDuckDb<T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
  const db = await DuckDBInstance.create(':memory:', { threads: '2' });
  const conn = await db.connect();
  try {
    await conn.run("SET TimeZone = 'UTC'");
    return await fn(conn);
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

/** Quotes a string as a SQL literal. */
export function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** Reads a query's rows as plain JSON-able objects (bigints become numbers when safe). */
export async function queryRows(conn: DuckDBConnection, sql: string): Promise<Array<Record<string, unknown>>> {
  const reader = await conn.runAndReadAll(sql);
  return reader.getRowObjectsJS().map((r) => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(r)) out[k] = typeof v === 'bigint' ? Number(v) : v;
    return out;
  });
}
