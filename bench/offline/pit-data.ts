import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

/** Sizes of the point-in-time benchmark data; the issue's full scale is 1M entity rows x 3 views x 10M rows over 100k entities. */
export interface PitScale {
  entityRows: number;
  featureRows: number;
  entities: number;
  days: number;
}

export const VIEWS = [
  { name: 'v0', ttlSeconds: 7 * 86400 },
  { name: 'v1', ttlSeconds: 2 * 86400 },
  { name: 'v2', ttlSeconds: 0 },
] as const;

export const SEED = 20240101;

/** Folder the data of one scale lives in, so a rerun reuses it. */
export function dataDir(root: string, s: PitScale): string {
  return path.join(root, `pit-${s.entityRows}-${s.featureRows}-${s.entities}`);
}

/**
 * Writes the benchmark's Parquet files with DuckDB SQL. Every value comes from hash(row, seed),
 * so the data are the same on every run and thread count. Event times fall on a 10-minute grid,
 * so rows of one entity often share an event time and the created time must break the tie.
 */
export async function generate(root: string, s: PitScale): Promise<string> {
  const dir = dataDir(root, s);
  const done = path.join(dir, 'entities.parquet');
  if (existsSync(done)) return dir;
  mkdirSync(dir, { recursive: true });
  const db = await DuckDBInstance.create(':memory:', { threads: '2', temp_directory: path.join(root, 'spill') });
  const c = await db.connect();
  const span = s.days * 86400;
  for (const [v, view] of VIEWS.entries()) {
    const seed = SEED + v * 7919;
    await c.run(`COPY (
      SELECT (hash(i, ${seed}) % ${s.entities})::BIGINT AS user_id,
             TIMESTAMP '2024-01-01' + to_seconds(((hash(i, ${seed + 1}) % ${span / 600}) * 600)::BIGINT) AS ts,
             TIMESTAMP '2024-01-01' + to_microseconds(((hash(i, ${seed + 1}) % ${span / 600}) * 600_000_000 + hash(i, ${seed + 2}) % 3_600_000_000)::BIGINT) AS created,
             (hash(i, ${seed + 3}) % 100000) / 1000.0 AS ${view.name}_a,
             (hash(i, ${seed + 4}) % 1000)::BIGINT AS ${view.name}_b,
             (hash(i, ${seed + 5}) % 7)::DOUBLE AS ${view.name}_c
      FROM range(${s.featureRows}) r(i)) TO '${path.join(dir, `${view.name}.parquet`)}' (FORMAT parquet)`);
  }
  await c.run(`COPY (
    SELECT (hash(i, ${SEED + 100}) % ${s.entities})::BIGINT AS user_id,
           TIMESTAMP '2024-01-01' + to_microseconds((hash(i, ${SEED + 101}) % ${span * 1_000_000})::BIGINT) AS event_timestamp,
           (hash(i, ${SEED + 102}) % 2)::INTEGER AS label
    FROM range(${s.entityRows}) r(i)) TO '${done}' (FORMAT parquet)`);
  c.closeSync();
  db.closeSync();
  return dir;
}
