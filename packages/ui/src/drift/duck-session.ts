import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

/**
 * One in-memory DuckDB for the console's histograms, opened on first use; queries run one at a
 * time on one connection, so a page of many histograms never starts many scans of the same files.
 */
export class DuckSession {
  private conn: Promise<{ instance: DuckDBInstance; conn: DuckDBConnection }> | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  /** Runs a query and returns its rows as plain JS objects. */
  query(sql: string): Promise<Array<Record<string, unknown>>> {
    const run = this.queue.then(async () => {
      const { conn } = await this.open();
      const reader = await conn.runAndReadAll(sql);
      return reader.getRowObjectsJS() as Array<Record<string, unknown>>;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private open(): Promise<{ instance: DuckDBInstance; conn: DuckDBConnection }> {
    this.conn ??= (async () => {
      // The console shares the machine with the servers it watches: one thread, bounded memory.
      const instance = await DuckDBInstance.create(':memory:', { threads: '1', memory_limit: '512MB' });
      return { instance, conn: await instance.connect() };
    })();
    return this.conn;
  }

  async close(): Promise<void> {
    if (!this.conn) return;
    const { instance, conn } = await this.conn;
    await this.queue;
    conn.closeSync();
    instance.closeSync();
    this.conn = undefined;
  }
}

/** A SQL string literal. */
export function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** A SQL double literal that reads back as exactly `x`. */
export function sqlDouble(x: number): string {
  return `CAST(${sqlString(String(x))} AS DOUBLE)`;
}

/** A quoted SQL identifier. */
export function sqlIdent(s: string): string {
  return `"${s.replace(/"/g, '""')}"`;
}
