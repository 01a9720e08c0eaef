import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { FrecError } from '@frec/core';

/** The codes the MovieLens loader raises. */
export const LoaderErrorCode = { SOURCE_NOT_FOUND: 'SOURCE_NOT_FOUND', SOURCE_SCHEMA_MISMATCH: 'SOURCE_SCHEMA_MISMATCH' } as const;
import { GENRES, U_ITEM_GENRES } from './genres.js';
import { queryRows, sqlString, withDuckDb } from './duckdb-session.js';

/** Which MovieLens layout a folder holds. */
export type MovieLensFormat = 'csv' | 'u.data';

export interface LoadOptions {
  /** A MovieLens folder: `ratings.csv` (+ movies.csv, tags.csv) or ML-100K style `u.data` (+ u.item). */
  inputDir: string;
  /** Where interactions.parquet, items.parquet, item_content.parquet and tags.parquet are written. */
  outDir: string;
  /** Keep only this many users, picked by a seeded hash, for small test runs. */
  maxUsers?: number;
  seed?: number;
}

/** What the loader wrote. */
export interface LoadResult {
  format: MovieLensFormat;
  interactions: number;
  users: number;
  items: number;
  tags: number;
  minTime: Date;
  maxTime: Date;
  files: { interactions: string; items: string; itemContent: string; tags: string };
}

/** Finds the layout of a MovieLens folder, or explains what is missing. */
export function detectFormat(inputDir: string): MovieLensFormat {
  if (!existsSync(inputDir)) {
    throw new FrecError(LoaderErrorCode.SOURCE_NOT_FOUND, `MovieLens folder '${inputDir}' does not exist.`, {
      where: { file: inputDir },
      hint: 'Pass a folder holding ratings.csv (MovieLens latest) or u.data (MovieLens 100K).',
    });
  }
  if (existsSync(path.join(inputDir, 'ratings.csv'))) return 'csv';
  if (existsSync(path.join(inputDir, 'u.data'))) return 'u.data';
  throw new FrecError(LoaderErrorCode.SOURCE_NOT_FOUND, `Folder '${inputDir}' holds neither ratings.csv nor u.data.`, {
    where: { file: inputDir },
    hint: 'Point the loader at an unpacked MovieLens release (ml-latest-small, ml-25m, ml-100k...).',
  });
}

/**
 * Turns a MovieLens folder into the StreamRec Parquet sources: interaction events
 * (user_id, item_id, rating, event_timestamp, and the rated item's genres as the catalog lists
 * them, which the genre-affinity aggregations filter on), item metadata (title, year, genres),
 * the item_content batch source (genres multi-hot, year: static catalog data, stamped at the epoch)
 * and tag events. Every computed feature is declared in the feature repo and computed by frec.
 * @example await loadMovieLens({ inputDir: 'data/ml-latest-small', outDir: '../../feature_repo/data' })
 */
export async function loadMovieLens(options: LoadOptions): Promise<LoadResult> {
  const format = detectFormat(options.inputDir);
  mkdirSync(options.outDir, { recursive: true });
  const files = {
    interactions: path.join(options.outDir, 'interactions.parquet'),
    items: path.join(options.outDir, 'items.parquet'),
    itemContent: path.join(options.outDir, 'item_content.parquet'),
    tags: path.join(options.outDir, 'tags.parquet'),
  };
  return withDuckDb(async (conn) => {
    await stageRatings(conn, format, options.inputDir);
    await checkRatings(conn, format, options.inputDir);
    await stageUsers(conn, options.maxUsers, options.seed ?? 42);
    await stageItems(conn, format, options.inputDir);
    await stageTags(conn, format, options.inputDir);
    await conn.run(`COPY (SELECT r.user_id, r.item_id, r.rating, r.event_timestamp, coalesce(it.genres, []::VARCHAR[]) AS genres
      FROM ratings r SEMI JOIN kept_users k USING (user_id) LEFT JOIN items it USING (item_id)
      ORDER BY event_timestamp, user_id, item_id) TO ${sqlString(files.interactions)} (FORMAT parquet)`);
    await conn.run(`COPY (SELECT * FROM items ORDER BY item_id) TO ${sqlString(files.items)} (FORMAT parquet)`);
    await conn.run(`COPY (${itemContentSql()}) TO ${sqlString(files.itemContent)} (FORMAT parquet)`);
    await conn.run(`COPY (SELECT t.* FROM tags t SEMI JOIN kept_users USING (user_id) ORDER BY event_timestamp, item_id)
      TO ${sqlString(files.tags)} (FORMAT parquet)`);
    const [s] = await queryRows(conn, `SELECT count(*) AS n, count(DISTINCT user_id) AS users, min(event_timestamp) AS lo, max(event_timestamp) AS hi
      FROM read_parquet(${sqlString(files.interactions)})`);
    const [it] = await queryRows(conn, `SELECT count(*) AS n FROM read_parquet(${sqlString(files.items)})`);
    const [tg] = await queryRows(conn, `SELECT count(*) AS n FROM read_parquet(${sqlString(files.tags)})`);
    return {
      format,
      interactions: s!.n as number,
      users: s!.users as number,
      items: it!.n as number,
      tags: tg!.n as number,
      minTime: s!.lo as Date,
      maxTime: s!.hi as Date,
      files,
    };
  });
}

/** Catalog content (genres multi-hot in GENRES order, release year): known when the item enters the catalog, so stamped at the epoch. */
function itemContentSql(): string {
  const genres = `[${GENRES.map((g) => sqlString(g)).join(', ')}]`;
  return `SELECT item_id, TIMESTAMPTZ '1970-01-01 00:00:00+00' AS event_timestamp,
      CAST(list_transform(${genres}, g -> CASE WHEN list_contains(genres, g) THEN 1 ELSE 0 END) AS FLOAT[]) AS genres,
      CAST(year AS INTEGER) AS year
    FROM items ORDER BY item_id`;
}

async function wrap(what: string, file: string, run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch (err) {
    if (err instanceof FrecError) throw err;
    throw new FrecError(LoaderErrorCode.SOURCE_SCHEMA_MISMATCH, `Cannot read ${what} from '${file}': ${(err as Error).message.split('\n')[0]}`, {
      where: { file },
      hint: 'Check that the file follows the MovieLens layout (see the README of the release).',
      cause: err,
    });
  }
}

async function stageRatings(conn: DuckDBConnection, format: MovieLensFormat, dir: string): Promise<void> {
  if (format === 'csv') {
    const file = path.join(dir, 'ratings.csv');
    await wrap('ratings', file, async () => {
      const cols = await queryRows(conn, `DESCRIBE SELECT * FROM read_csv(${sqlString(file)}, header = true)`);
      const names = new Set(cols.map((c) => c.column_name as string));
      const missing = ['userId', 'movieId', 'rating', 'timestamp'].filter((c) => !names.has(c));
      if (missing.length > 0) {
        throw new FrecError(LoaderErrorCode.SOURCE_SCHEMA_MISMATCH, `'${file}' lacks the column(s) ${missing.join(', ')}.`, {
          where: { file },
          hint: 'A MovieLens ratings.csv starts with the header userId,movieId,rating,timestamp.',
        });
      }
      await conn.run(`CREATE TABLE raw_ratings AS SELECT TRY_CAST(userId AS BIGINT) AS user_id, TRY_CAST(movieId AS BIGINT) AS item_id,
        TRY_CAST(rating AS FLOAT) AS rating, TRY_CAST("timestamp" AS BIGINT) AS ts FROM read_csv(${sqlString(file)}, header = true, all_varchar = true)`);
    });
  } else {
    const file = path.join(dir, 'u.data');
    await wrap('ratings', file, () =>
      conn.run(`CREATE TABLE raw_ratings AS SELECT TRY_CAST(column0 AS BIGINT) AS user_id, TRY_CAST(column1 AS BIGINT) AS item_id,
        TRY_CAST(column2 AS FLOAT) AS rating, TRY_CAST(column3 AS BIGINT) AS ts
        FROM read_csv(${sqlString(file)}, delim = '\t', header = false, all_varchar = true, columns = {'column0': 'VARCHAR', 'column1': 'VARCHAR', 'column2': 'VARCHAR', 'column3': 'VARCHAR'})`),
    );
  }
}

/** Refuses files with unreadable rows, naming the first one, instead of silently dropping data. */
async function checkRatings(conn: DuckDBConnection, format: MovieLensFormat, dir: string): Promise<void> {
  const file = path.join(dir, format === 'csv' ? 'ratings.csv' : 'u.data');
  const [bad] = await queryRows(conn, `SELECT count(*) AS n, min(rn) AS first FROM (SELECT *, row_number() OVER () AS rn FROM raw_ratings)
    WHERE user_id IS NULL OR item_id IS NULL OR rating IS NULL OR ts IS NULL`);
  if ((bad!.n as number) > 0) {
    throw new FrecError(LoaderErrorCode.SOURCE_SCHEMA_MISMATCH, `'${file}' has ${bad!.n as number} row(s) with a missing or non-numeric user, item, rating or timestamp (first at data row ${bad!.first as number}).`, {
      where: { file, row: bad!.first as number },
      hint: 'Fix or remove those rows; every rating needs integer ids, a numeric rating and a unix timestamp in seconds.',
    });
  }
  const [n] = await queryRows(conn, 'SELECT count(*) AS n FROM raw_ratings');
  if ((n!.n as number) === 0) {
    throw new FrecError(LoaderErrorCode.SOURCE_SCHEMA_MISMATCH, `'${file}' holds no ratings.`, { where: { file }, hint: 'Use a non-empty MovieLens release.' });
  }
  await conn.run(`CREATE TABLE ratings AS SELECT user_id, item_id, rating, to_timestamp(ts) AS event_timestamp FROM raw_ratings`);
}

async function stageUsers(conn: DuckDBConnection, maxUsers: number | undefined, seed: number): Promise<void> {
  const limit = maxUsers === undefined ? '' : `ORDER BY hash(user_id + ${Math.trunc(seed)}) LIMIT ${Math.trunc(maxUsers)}`;
  await conn.run(`CREATE TABLE kept_users AS SELECT user_id FROM (SELECT DISTINCT user_id FROM ratings) ${limit}`);
}

async function stageItems(conn: DuckDBConnection, format: MovieLensFormat, dir: string): Promise<void> {
  const movies = path.join(dir, 'movies.csv');
  const uItem = path.join(dir, 'u.item');
  if (format === 'csv' && existsSync(movies)) {
    await wrap('movies', movies, () =>
      conn.run(`CREATE TABLE items AS SELECT CAST(movieId AS BIGINT) AS item_id, title,
        TRY_CAST(NULLIF(regexp_extract(trim(title), '\\((\\d{4})\\)$', 1), '') AS INTEGER) AS year,
        CASE WHEN genres = '(no genres listed)' THEN []::VARCHAR[] ELSE string_split(genres, '|') END AS genres
        FROM read_csv(${sqlString(movies)}, header = true, quote = '"', all_varchar = true)`),
    );
  } else if (format === 'u.data' && existsSync(uItem)) {
    const flags = U_ITEM_GENRES.map((g, i) => `CASE WHEN column${String(i + 5).padStart(2, '0')} = '1' THEN '${g}' END`);
    const columns = Array.from({ length: 24 }, (_, i) => `'column${String(i).padStart(2, '0')}': 'VARCHAR'`).join(', ');
    await wrap('items', uItem, () =>
      conn.run(`CREATE TABLE items AS SELECT CAST(column00 AS BIGINT) AS item_id, column01 AS title,
        TRY_CAST(right(column02, 4) AS INTEGER) AS year,
        list_filter([${flags.join(', ')}], g -> g IS NOT NULL AND g <> 'unknown') AS genres
        FROM read_csv(${sqlString(uItem)}, delim = '|', header = false, quote = '', encoding = 'latin-1', columns = {${columns}})`),
    );
  } else {
    // No metadata file: items are known only by id; their content features stay empty.
    await conn.run(`CREATE TABLE items AS SELECT DISTINCT item_id, NULL::VARCHAR AS title, NULL::INTEGER AS year, []::VARCHAR[] AS genres FROM ratings`);
  }
  // Rated items missing from the metadata still need a row, or the catalog would lose them.
  await conn.run(`INSERT INTO items SELECT DISTINCT item_id, NULL, NULL, []::VARCHAR[] FROM ratings WHERE item_id NOT IN (SELECT item_id FROM items)`);
}

async function stageTags(conn: DuckDBConnection, format: MovieLensFormat, dir: string): Promise<void> {
  const tags = path.join(dir, 'tags.csv');
  if (format === 'csv' && existsSync(tags)) {
    await wrap('tags', tags, () =>
      conn.run(`CREATE TABLE tags AS SELECT CAST(userId AS BIGINT) AS user_id, CAST(movieId AS BIGINT) AS item_id, lower(trim(tag)) AS tag,
        to_timestamp(CAST("timestamp" AS BIGINT)) AS event_timestamp
        FROM read_csv(${sqlString(tags)}, header = true, all_varchar = true) WHERE tag IS NOT NULL`),
    );
  } else {
    await conn.run(`CREATE TABLE tags (user_id BIGINT, item_id BIGINT, tag VARCHAR, event_timestamp TIMESTAMPTZ)`);
  }
}
