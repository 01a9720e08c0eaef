import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { StoreError, type FeatureViewSpec } from '@frec/core';
import {
  applyEvent,
  createdColumnOf,
  emptyState,
  featuresOf,
  keyString,
  planAggregations,
  timestampFieldOf,
  type AggregateState,
  type OfflineStore,
} from '@frec/core/spi';
import { ident, literal } from '../sql.js';
import { OfflineErrorCode } from '../errors.js';

/** Options of a stream view backfill. */
export interface StreamBackfillOptions {
  /** Historical events: a Parquet path or glob (hive partitions allowed), or a DuckDB SQL query. */
  events: string | { sql: string };
  /** Only events before this time (default: all). */
  end?: Date;
  /** Rows handed to `write` at once (default 50,000). */
  batchSize?: number;
  /** Where feature rows go; default: `offline.appendRows` to the stream source's batch source. */
  write?: (rows: Array<Record<string, unknown>>) => Promise<void>;
  /** The offline store the default `write` appends to. */
  offline?: OfflineStore;
  /** Progress after each written batch. */
  onProgress?: (p: { events: number; rows: number }) => void;
}

/** What a backfill did, plus each entity's final state (for handing over to the online worker). */
export interface StreamBackfillResult {
  events: number;
  rows: number;
  entities: number;
  invalid: number;
  states: Map<string, AggregateState>;
}

/** The SQL expression of an event time column as epoch milliseconds, whatever its stored type. */
function epochMsExpr(column: string, type: string): string {
  const c = ident(column);
  if (/^(BIGINT|INTEGER|HUGEINT|UBIGINT|DOUBLE)/.test(type)) return `CAST(${c} AS DOUBLE)`;
  if (/^TIMESTAMP/.test(type) || type === 'DATE') return `CAST(epoch_ms(${c}) AS DOUBLE)`;
  return `CAST(epoch_ms(CAST(${c} AS TIMESTAMPTZ)) AS DOUBLE)`;
}

/**
 * Backfills a stream view's offline rows from historical events: DuckDB reads and orders the
 * events (by entity, event time, then file order), and the same aggregation code as the online
 * worker folds them (which orders events of one time by value, so the file order of ties does not
 * matter), emitting one feature row per entity and distinct event time: the state after every
 * event at that time (ADR 0031).
 * @example await backfillStreamView(view, { events: 'data/interactions/*.parquet', offline });
 */
export async function backfillStreamView(view: FeatureViewSpec, options: StreamBackfillOptions): Promise<StreamBackfillResult> {
  if (view.kind !== 'stream' || view.aggregations.length === 0) {
    throw new StoreError(
      OfflineErrorCode.OFFLINE_STORE_ERROR,
      `Feature view '${view.name}' is not a stream feature view with aggregations.`,
      {
        where: { featureView: view.name },
        hint: 'Backfill views declared with streamFeatureView(...).',
      },
    );
  }
  const write = options.write ?? defaultWriter(view, options.offline);
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    return await run(conn, view, options, write);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

function defaultWriter(view: FeatureViewSpec, offline: OfflineStore | undefined): (rows: Array<Record<string, unknown>>) => Promise<void> {
  if (!offline || view.source.type !== 'stream') {
    throw new StoreError(OfflineErrorCode.OFFLINE_STORE_ERROR, `Backfill of '${view.name}' needs an offline store or a write function.`, {
      where: { featureView: view.name },
    });
  }
  const src = view.source.batchSource;
  return (rows) => offline.appendRows(src, view, rows);
}

async function run(
  conn: DuckDBConnection,
  view: FeatureViewSpec,
  options: StreamBackfillOptions,
  write: (rows: Array<Record<string, unknown>>) => Promise<void>,
): Promise<StreamBackfillResult> {
  const from =
    typeof options.events === 'string'
      ? `read_parquet(${literal(options.events)}, hive_partitioning = true, union_by_name = true)`
      : `(${options.events.sql})`;
  // The file order is the arrival order: number rows before anything can reorder them.
  await conn.run('SET preserve_insertion_order = true');
  await conn.run(`CREATE TEMP VIEW __events AS SELECT *, row_number() OVER () AS __rn FROM ${from}`);
  const cols = new Map(
    ((await (await conn.runAndReadAll('DESCRIBE __events')).getRowObjectsJS()) as Array<Record<string, unknown>>).map((r) => [
      String(r.column_name),
      String(r.column_type),
    ]),
  );
  const ts = timestampFieldOf(view);
  const plan = planAggregations(view);
  const where = { featureView: view.name, file: typeof options.events === 'string' ? options.events : undefined };
  for (const c of [...view.entityColumns.map((e) => e.name), ts, ...plan.columns]) {
    if (!cols.has(c)) {
      throw new StoreError(OfflineErrorCode.SOURCE_SCHEMA_MISMATCH, `Historical events for '${view.name}' have no column '${c}'.`, {
        where: { ...where, column: c },
        hint: `Columns found: ${[...cols.keys()].filter((k) => k !== '__rn').join(', ')}.`,
      });
    }
  }
  const keyCols = view.entityColumns.map((e) => ident(e.name));
  const tExpr = epochMsExpr(ts, cols.get(ts)!);
  const filter = options.end ? `WHERE ${tExpr} < ${options.end.getTime()}` : '';
  const select = [...new Set([...view.entityColumns.map((e) => e.name), ...plan.columns])].map(ident).join(', ');
  const sql = `SELECT ${select}, ${tExpr} AS __t FROM __events ${filter} ORDER BY ${keyCols.join(', ')}, __t, __rn`;
  const result = await conn.stream(sql);
  const batchSize = options.batchSize ?? 50_000;
  const outTs = view.source.type === 'stream' ? view.source.batchSource.timestampField : ts;
  const states = new Map<string, AggregateState>();
  // One created time per run: a rerun's rows win over an earlier run's, and over worker rows they replace.
  const createdColumn = createdColumnOf(view);
  const createdAt = new Date();
  let out: Array<Record<string, unknown>> = [];
  let events = 0;
  let rows = 0;
  let invalid = 0;
  let curKey: string | undefined;
  let state: AggregateState = emptyState();
  // The row of the entity's latest time, emitted once the next event has another key or time.
  let pending: { key: Array<string | number>; t: number } | undefined;
  const flush = (): void => {
    if (!pending) return;
    const row: Record<string, unknown> = featuresOf(plan, state);
    view.entityColumns.forEach((e, i) => (row[e.name] = pending!.key[i]));
    row[outTs] = new Date(pending.t);
    if (createdColumn) row[createdColumn] = createdAt;
    out.push(row);
    pending = undefined;
  };
  for await (const chunk of result.yieldRowObjectJs()) {
    for (const r of chunk) {
      const t = Number(r.__t);
      const key = view.entityColumns.map((e) => {
        const v = r[e.name];
        return typeof v === 'bigint' ? Number(v) : (v as string | number | null);
      });
      if (!Number.isFinite(t) || key.some((k) => k === null || k === undefined)) {
        invalid++;
        continue;
      }
      const k = keyString(key as Array<string | number>);
      if (k !== curKey || pending?.t !== t) flush();
      if (k !== curKey) {
        curKey = k;
        state = emptyState();
        states.set(k, state);
      }
      applyEvent(plan, state, { timeMs: t, values: r });
      events++;
      pending = { key: key as Array<string | number>, t };
      if (out.length >= batchSize) {
        await write(out);
        rows += out.length;
        out = [];
        options.onProgress?.({ events, rows });
      }
    }
  }
  flush();
  if (out.length > 0) {
    await write(out);
    rows += out.length;
    options.onProgress?.({ events, rows });
  }
  return { events, rows, entities: states.size, invalid, states };
}
