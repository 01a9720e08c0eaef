import path from 'node:path';
import { queryRows, sqlString, withDuckDb } from '../data/duckdb-session.js';
import { itemContentSql, itemStatsSql, itemTagsSql, stageSql, userRecentSql, userStatsSql, type FeatureInputs } from './feature-sql.js';

/** The Parquet files the StreamRec feature views read, by file stem. */
export const FEATURE_TABLES = {
  user_stats: userStatsSql,
  user_recent: userRecentSql,
  item_stats: itemStatsSql,
  item_content: itemContentSql,
  item_tags: itemTagsSql,
} as const;

export type FeatureTable = keyof typeof FEATURE_TABLES;

/**
 * Computes every batch feature table from the loader's Parquet sources with DuckDB and writes
 * `<dataDir>/<table>.parquet`; returns the row count of each.
 */
export async function computeFeatures(dataDir: string, onTable?: (table: FeatureTable, rows: number) => void): Promise<Record<FeatureTable, number>> {
  const inputs: FeatureInputs = {
    interactions: path.join(dataDir, 'interactions.parquet'),
    items: path.join(dataDir, 'items.parquet'),
    tags: path.join(dataDir, 'tags.parquet'),
  };
  return withDuckDb(async (conn) => {
    for (const sql of stageSql(inputs)) await conn.run(sql);
    const counts = {} as Record<FeatureTable, number>;
    for (const [table, build] of Object.entries(FEATURE_TABLES) as Array<[FeatureTable, () => string]>) {
      const file = path.join(dataDir, `${table}.parquet`);
      await conn.run(`COPY (${build()}) TO ${sqlString(file)} (FORMAT parquet)`);
      const [c] = await queryRows(conn, `SELECT count(*) AS n FROM read_parquet(${sqlString(file)})`);
      counts[table] = c!.n as number;
      onTable?.(table, counts[table]);
    }
    return counts;
  });
}
