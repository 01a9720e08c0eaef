import { rm } from 'node:fs/promises';
import path from 'node:path';
import { queryRows, sqlString, withDuckDb } from '../data/duckdb-session.js';
import { itemContentSql, itemStatsSql, itemTagsSql, stageSql, userStatsSql, type FeatureInputs } from './feature-sql.js';
import { backfillToParquet, streamViewOf } from './stream-view-backfill.js';

/** The batch feature tables the StreamRec feature views read, by file stem, and the SQL that builds each. */
export const FEATURE_TABLES = {
  user_stats: userStatsSql,
  item_stats: itemStatsSql,
  item_content: itemContentSql,
  item_tags: itemTagsSql,
} as const;

/** The stream feature views whose offline rows are backfilled from the interaction events. */
export const STREAM_VIEWS = ['user_recent'] as const;

/** A feature table (batch) or stream view (backfilled) that computeFeatures writes. */
export type FeatureTable = keyof typeof FEATURE_TABLES | (typeof STREAM_VIEWS)[number];

/**
 * Computes every feature table from the loader's Parquet sources: the batch tables with DuckDB SQL
 * (`<dataDir>/<table>.parquet`), and the stream views (user_recent) with the stream backfill of
 * their declaration in the repo's features.ts, into their batch-source folders. Returns the row
 * count of each. `dataDir` is the feature repo's data/ folder unless `repoPath` says otherwise.
 */
export async function computeFeatures(
  dataDir: string,
  onTable?: (table: FeatureTable, rows: number) => void,
  options: { repoPath?: string } = {},
): Promise<Record<FeatureTable, number>> {
  const inputs: FeatureInputs = {
    interactions: path.join(dataDir, 'interactions.parquet'),
    items: path.join(dataDir, 'items.parquet'),
    tags: path.join(dataDir, 'tags.parquet'),
  };
  const counts = await withDuckDb(async (conn) => {
    for (const sql of stageSql(inputs)) await conn.run(sql);
    const out = {} as Record<FeatureTable, number>;
    for (const [table, build] of Object.entries(FEATURE_TABLES) as Array<[keyof typeof FEATURE_TABLES, () => string]>) {
      const file = path.join(dataDir, `${table}.parquet`);
      await conn.run(`COPY (${build()}) TO ${sqlString(file)} (FORMAT parquet)`);
      const [c] = await queryRows(conn, `SELECT count(*) AS n FROM read_parquet(${sqlString(file)})`);
      out[table] = c!.n as number;
      onTable?.(table, out[table]);
    }
    return out;
  });
  const repoPath = options.repoPath ?? path.dirname(dataDir);
  for (const name of STREAM_VIEWS) {
    const res = await backfillToParquet(repoPath, await streamViewOf(repoPath, name), inputs.interactions);
    // The per-event table written by earlier versions: nothing reads it any more.
    await rm(path.join(dataDir, `${name}.parquet`), { force: true });
    counts[name] = res.rows;
    onTable?.(name, res.rows);
  }
  return counts;
}
