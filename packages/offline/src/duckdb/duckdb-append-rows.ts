import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { TIMESTAMPTZ, type DuckDBConnection, type DuckDBType } from '@duckdb/node-api';
import { DefinitionError, ErrorCode, RequestError, type FeatureViewSpec, type FileSourceSpec, type ValueType } from '@frec/core';
import { coerceValue, STREAM_CREATED_COLUMN } from '@frec/core/spi';
import { appendRoot, sourceColumn, sourceGlob } from '../file-source.js';
import { ident, literal } from '../sql.js';
import { createTableFromColumns } from './duckdb-connection.js';
import { duckTypeOfValueType } from './duckdb-arrow.js';
import { OfflineErrorCode } from '../errors.js';

/** Turns a glob into a RegExp over paths ('**' crosses folders, '*' and '?' do not). */
function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      re += glob[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += glob[i + 2] === '/' ? 2 : 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** The file an appended batch for one UTC date goes to: `<root>/date=YYYY-MM-DD/part-<uuid>.parquet`. */
export function appendedFilePath(root: string, date: string): string {
  return path.join(root, `date=${date}`, `part-${randomUUID()}.parquet`);
}

/**
 * The folder a push or stream source's batch source takes appended files in; throws
 * SOURCE_NOT_APPENDABLE (a definition error, found by `frec apply`) when its path is a single file
 * or a glob that would not cover `<folder>/date=YYYY-MM-DD/part-*.parquet`.
 */
export function checkAppendable(source: FileSourceSpec, view: FeatureViewSpec, repoPath: string): string {
  const root = appendRoot(source, repoPath);
  const glob = sourceGlob(source, repoPath);
  if (root === undefined || !globToRegExp(glob).test(appendedFilePath(root, '2000-01-01'))) {
    throw new DefinitionError(
      `Cannot append to source '${source.name}' (batch source of feature view '${view.name}'): its path '${source.path}' does not cover <folder>/date=YYYY-MM-DD/part-*.parquet files, so pushed or streamed rows could not be stored offline.`,
      {
        where: { source: source.name, featureView: view.name, file: glob },
        hint: `Give the batch source a folder glob such as 'data/pushed/${source.name}/**/*.parquet'.`,
      },
      OfflineErrorCode.SOURCE_NOT_APPENDABLE,
    );
  }
  return root;
}

/**
 * Appends rows to a source's Parquet files, one file per UTC date of the rows' event times, each
 * written to a hidden temporary name and renamed into place once complete: a reader sees a
 * batch whole or not at all. Every row is checked before anything is written.
 */
export async function appendRows(
  conn: DuckDBConnection,
  repoPath: string,
  source: FileSourceSpec,
  view: FeatureViewSpec,
  rows: ReadonlyArray<Record<string, unknown>>,
): Promise<string[]> {
  const root = checkAppendable(source, view, repoPath);
  if (rows.length === 0) return [];

  const columns: Array<{ name: string; column: string; dtype: ValueType; type: DuckDBType; key: boolean; values: unknown[] }> = [
    ...view.entityColumns.map((c) => ({
      name: c.name,
      column: sourceColumn(source, c.name),
      dtype: c.dtype,
      type: duckTypeOfValueType(c.dtype),
      key: true,
      values: [] as unknown[],
    })),
    ...view.features.map((f) => ({
      name: f.name,
      column: sourceColumn(source, f.name),
      dtype: f.dtype,
      type: duckTypeOfValueType(f.dtype),
      key: false,
      values: [] as unknown[],
    })),
  ];
  const eventTimes: Date[] = [];
  const createdTimes: Date[] = [];
  // A stream view's rows always carry a created time: the worker's corrections must win over the rows they replace.
  const createdColumn = source.createdTimestampColumn ?? (view.source.type === 'stream' ? STREAM_CREATED_COLUMN : undefined);
  const now = new Date();
  rows.forEach((row, i) => {
    const ts = coerceValue('unix_timestamp', row[source.timestampField]) as Date | null | undefined;
    if (!ts) {
      throw new RequestError(
        ErrorCode.INVALID_PUSH_ROW,
        `Row ${i} for feature view '${view.name}' has no valid '${source.timestampField}' (got ${JSON.stringify(row[source.timestampField])}).`,
        {
          where: { featureView: view.name, row: i, column: source.timestampField },
          hint: 'Give every row its event time as a Date, ISO string or epoch milliseconds.',
        },
      );
    }
    eventTimes.push(ts);
    if (createdColumn) createdTimes.push((coerceValue('unix_timestamp', row[createdColumn]) as Date | null) ?? now);
    for (const c of columns) {
      const raw = c.name in row ? row[c.name] : row[c.column];
      const v = coerceValue(c.dtype, raw);
      // A row without its key could never be joined: refuse it rather than store it.
      if (v === undefined || (c.key && v === null)) {
        throw new RequestError(
          ErrorCode.INVALID_PUSH_ROW,
          `Row ${i} for feature view '${view.name}': '${c.name}' is ${JSON.stringify(raw)}, declared ${c.dtype}.`,
          {
            where: { featureView: view.name, row: i, column: c.name },
            hint: `Give '${c.name}' a value of type ${c.dtype} (or null).`,
          },
        );
      }
      c.values.push(v);
    }
  });

  // One file per UTC date, so hive partitions prune by date.
  const byDate = new Map<string, number[]>();
  eventTimes.forEach((t, i) => {
    const d = t.toISOString().slice(0, 10);
    const list = byDate.get(d);
    if (list) list.push(i);
    else byDate.set(d, [i]);
  });
  const written: Array<{ tmp: string; file: string }> = [];
  const table = `__frec_append_${randomUUID().replace(/-/g, '')}`;
  try {
    for (const [date, idx] of byDate) {
      const file = appendedFilePath(root, date);
      const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp`);
      await mkdir(path.dirname(file), { recursive: true });
      const cols = [
        ...columns.map((c) => ({ name: c.column, type: c.type, values: idx.map((i) => c.values[i]) })),
        { name: source.timestampField, type: TIMESTAMPTZ, values: idx.map((i) => eventTimes[i]) },
        ...(createdColumn ? [{ name: createdColumn, type: TIMESTAMPTZ, values: idx.map((i) => createdTimes[i]) }] : []),
      ];
      await createTableFromColumns(conn, table, cols, idx.length);
      await conn.run(`COPY ${ident(table)} TO ${literal(tmp)} (FORMAT parquet)`);
      written.push({ tmp, file });
    }
    for (const w of written) await rename(w.tmp, w.file);
    return written.map((w) => w.file);
  } catch (err) {
    await Promise.all(written.map((w) => rm(w.tmp, { force: true })));
    throw err;
  } finally {
    await conn.run(`DROP TABLE IF EXISTS ${ident(table)}`);
  }
}
