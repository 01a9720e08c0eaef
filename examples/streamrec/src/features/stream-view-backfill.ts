import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import {
  BIGINT,
  BLOB,
  BOOLEAN,
  DOUBLE,
  DuckDBDataChunk,
  FLOAT,
  INTEGER,
  JSToDuckDBValueConverter,
  LIST,
  TIMESTAMPTZ,
  VARCHAR,
  type DuckDBConnection,
  type DuckDBType,
} from '@duckdb/node-api';
import { FeatureStore, FrecError, ErrorCode, type FeatureViewSpec, type ScalarType, type ValueType } from '@frec/core';
import { elementType, isArrayType } from '@frec/core/spi';
import { appendRoot } from '@frec/offline';
import { backfillStreamView } from '@frec/offline/stream-backfill';
import { sqlString, withDuckDb } from '../data/duckdb-session.js';

/** What backfilling one stream view did. */
export interface StreamViewBackfill {
  /** Events folded (one per rating). */
  events: number;
  /** Feature rows written: one per entity and event time (events of the same second share the last one). */
  rows: number;
  entities: number;
  /** The Parquet file holding the rows, inside the view's batch-source folder. */
  file: string;
}

const SCALAR_TYPES: Record<ScalarType, DuckDBType> = {
  int32: INTEGER,
  int64: BIGINT,
  float32: FLOAT,
  float64: DOUBLE,
  bool: BOOLEAN,
  string: VARCHAR,
  bytes: BLOB,
  unix_timestamp: TIMESTAMPTZ,
};

function duckType(t: ValueType): DuckDBType {
  return isArrayType(t) ? LIST(SCALAR_TYPES[elementType(t)]) : SCALAR_TYPES[t as ScalarType];
}

/** Loads a stream feature view's spec from the repo's own definition files (what `apply` would register). */
export async function streamViewOf(repoPath: string, name: string): Promise<FeatureViewSpec> {
  const store = await FeatureStore.open({ repoPath });
  try {
    const view = (await store.loadDefinitions()).featureViews.get(name);
    const where = { featureView: name, file: repoPath };
    if (!view) {
      throw new FrecError(ErrorCode.UNKNOWN_FEATURE_VIEW, `The feature repo at ${repoPath} declares no feature view '${name}'.`, {
        where,
        hint: `Declare it with streamFeatureView({ name: '${name}', source: streamSource(...), aggregations: [...] }).`,
      });
    }
    if (view.source.type !== 'stream') {
      throw new FrecError(
        ErrorCode.INVALID_DEFINITION,
        `Feature view '${name}' is a ${view.source.type}-source view; its offline rows are backfilled from events, so it must be a stream feature view.`,
        {
          where,
          hint: `Declare it with streamFeatureView({ name: '${name}', source: streamSource({ topic, batchSource, ... }), aggregations: [...] }).`,
        },
      );
    }
    return view;
  } finally {
    await store.close();
  }
}

/**
 * Computes a stream view's offline feature rows from the historical event log with
 * `backfillStreamView` (the stream worker's own aggregation code), and replaces the view's
 * batch-source folder with one Parquet file: `<folder>/date=<first event's UTC date>/part-backfill.parquet`.
 * One file rather than the store's one-per-day appends (4,110 files for MovieLens latest-small)
 * because every point-in-time join reads the whole folder; the `date=` level keeps the folder
 * hive-partitioned like the files `frec stream` appends later, which DuckDB requires.
 * Events of one entity in the same second collapse to the row after the last of them: an as-of
 * join cannot order rows with equal event times, so it must find only the complete one.
 */
export async function backfillToParquet(repoPath: string, view: FeatureViewSpec, events: string): Promise<StreamViewBackfill> {
  if (view.source.type !== 'stream') {
    throw new FrecError(ErrorCode.INVALID_DEFINITION, `Feature view '${view.name}' has no stream source to backfill.`, {
      where: { featureView: view.name },
      hint: 'Backfill views declared with streamFeatureView(...).',
    });
  }
  const source = view.source.batchSource;
  const root = appendRoot(source, repoPath);
  if (root === undefined) {
    throw new FrecError(
      ErrorCode.INVALID_DEFINITION,
      `The batch source '${source.name}' of '${view.name}' has a single-file path '${source.path}'.`,
      {
        where: { featureView: view.name, source: source.name },
        hint: "Give it a folder glob such as 'data/<view>/**/*.parquet', so the stream worker can append next to the backfill.",
      },
    );
  }
  const keys = view.entityColumns.map((c) => ({ name: c.name, type: duckType(c.dtype) }));
  const columns = [
    ...keys,
    ...view.features.map((f) => ({ name: f.name, type: duckType(f.dtype) })),
    { name: source.timestampField, type: TIMESTAMPTZ },
  ];
  const values: unknown[][] = columns.map(() => []);
  const sameGroup = (a: Record<string, unknown>, b: Record<string, unknown>): boolean =>
    (a[source.timestampField] as Date).getTime() === (b[source.timestampField] as Date).getTime() &&
    keys.every((k) => a[k.name] === b[k.name]);
  let pending: Record<string, unknown> | undefined;
  const keep = (row: Record<string, unknown>): void => columns.forEach((c, i) => values[i]!.push(row[c.name] ?? null));
  // Rows arrive per entity in event order, so a same-second run is contiguous, possibly across batches.
  const res = await backfillStreamView(view, {
    events,
    write: async (rows) => {
      for (const row of rows) {
        if (pending && !sameGroup(pending, row)) keep(pending);
        pending = row;
      }
    },
  });
  if (pending) keep(pending);
  const rows = values[0]!.length;
  const times = values[columns.length - 1] as Date[];
  const first = times.reduce((m, t) => (t.getTime() < m ? t.getTime() : m), Number.POSITIVE_INFINITY);
  const date = Number.isFinite(first) ? new Date(first).toISOString().slice(0, 10) : '1970-01-01';
  const file = path.join(root, `date=${date}`, 'part-backfill.parquet');
  const tmp = path.join(path.dirname(file), '.part-backfill.parquet.tmp');
  await rm(root, { recursive: true, force: true });
  await mkdir(path.dirname(file), { recursive: true });
  await withDuckDb(async (conn) => {
    await writeColumns(conn, 'backfill', columns, values, rows);
    await conn.run(`COPY backfill TO ${sqlString(tmp)} (FORMAT parquet)`);
  });
  await rename(tmp, file);
  return { events: res.events, rows, entities: res.entities, file };
}

const CHUNK_ROWS = 2048;

/** Loads column-major JS values into a new table with DuckDB's appender. */
async function writeColumns(
  conn: DuckDBConnection,
  table: string,
  columns: ReadonlyArray<{ name: string; type: DuckDBType }>,
  values: unknown[][],
  rows: number,
): Promise<void> {
  await conn.run(`CREATE TABLE ${table} (${columns.map((c) => `"${c.name}" ${c.type.toString()}`).join(', ')})`);
  const appender = await conn.createAppender(table);
  try {
    for (let start = 0; start < rows; start += CHUNK_ROWS) {
      const n = Math.min(CHUNK_ROWS, rows - start);
      const chunk = DuckDBDataChunk.create(
        columns.map((c) => c.type),
        n,
      );
      values.forEach((v, i) => chunk.setColumnValuesConverted(i, v.slice(start, start + n) as never[], JSToDuckDBValueConverter));
      appender.appendDataChunk(chunk);
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
}

/** The stream feature views whose offline rows are backfilled from the interaction events. */
export const STREAM_VIEWS = ['user_recent'] as const;

/**
 * Backfills every stream view of the repo (STREAM_VIEWS) from `<dataDir>/interactions.parquet`.
 * The only feature computation the example runs itself: the rating and tag aggregates are
 * aggregation views that frec computes. Returns the rows written per view.
 */
export async function backfillStreamViews(
  repoPath: string,
  dataDir = path.join(repoPath, 'data'),
  onView?: (view: string, rows: number) => void,
): Promise<Record<(typeof STREAM_VIEWS)[number], number>> {
  const out = {} as Record<(typeof STREAM_VIEWS)[number], number>;
  for (const name of STREAM_VIEWS) {
    const res = await backfillToParquet(repoPath, await streamViewOf(repoPath, name), path.join(dataDir, 'interactions.parquet'));
    out[name] = res.rows;
    onView?.(name, res.rows);
  }
  return out;
}
