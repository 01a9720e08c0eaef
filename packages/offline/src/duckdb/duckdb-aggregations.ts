import { type DuckDBConnection } from '@duckdb/node-api';
import { RequestError, type FeatureViewSpec } from '@frec/core';
import { planTiles, type TileBatch, type TileEvent, type TileProgress } from '@frec/core/spi';
import { ident, literal, timestampLiteral } from '../sql.js';
import { duckTypeOfValueType } from './duckdb-arrow.js';
import { createTableFromColumns, queryRows } from './duckdb-connection.js';
import { compileEvents, compileTiles, fileTiming, streamTileStates, type EventShape } from './duckdb-tiles.js';
import { BIGINT, VARCHAR } from '@duckdb/node-api';
import { batchSourceOf } from '../file-source.js';

/** A computed feature value as the DuckDB appender takes it for the declared type. */
export function toDuck(dtype: string, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return dtype === 'int64' ? BigInt(Math.trunc(v)) : v;
  const el = dtype.replace('[]', '');
  return Array.isArray(v) ? v.map((x) => toDuckScalar(el, x)) : toDuckScalar(el, v);
}

function toDuckScalar(el: string, x: unknown): unknown {
  return x === null || x === undefined ? null : el === 'int64' ? BigInt(Math.trunc(Number(x))) : x;
}

/** Slot kinds whose input is a number (or only its presence): read from DuckDB as DOUBLE, no per-value conversion. */
export const NUMERIC_SLOTS = new Set(['count', 'sum', 'min', 'max']);

const DAY_MS = 86_400_000;
/** The largest |epoch ms| a JavaScript Date holds (years -271821 to 275760): a tile start or read time past it has no meaning. */
const MAX_TIME_MS = 8_640_000_000_000_000;

/**
 * Refuses events whose time is null or out of range (infinite, or past what a Date holds), from the
 * Parquet footers' statistics: no scan of the history. Without the check such events would be left
 * out of every tile silently (DuckDB's epoch_ms of an infinite time is null).
 */
export async function checkEventTimes(conn: DuckDBConnection, view: FeatureViewSpec, shape: EventShape): Promise<void> {
  if (shape.empty) return;
  const ts = batchSourceOf(view).timestampField;
  const bad = (x: string): string => `(isinf(${x}) OR abs(epoch_ms(${x})) > ${MAX_TIME_MS})`;
  const [row] = await queryRows(
    conn,
    `WITH s AS (SELECT stats_null_count AS n, TRY_CAST(stats_min_value AS TIMESTAMP) AS lo, TRY_CAST(stats_max_value AS TIMESTAMP) AS hi
       FROM parquet_metadata(${literal(shape.glob)}) WHERE path_in_schema = ${literal(ts)})
     SELECT coalesce(sum(n), 0) AS nulls, count(*) FILTER (WHERE ${bad('lo')} OR ${bad('hi')}) AS bad, min(lo)::VARCHAR AS lo, max(hi)::VARCHAR AS hi FROM s`,
  );
  const where = { featureView: view.name, feature: view.features.map((f) => f.name).join(', '), column: ts, file: shape.glob };
  if (Number(row?.nulls ?? 0) > 0) {
    throw new RequestError(
      'INVALID_EVENTS',
      `Aggregation view '${view.name}': ${Number(row!.nulls)} events in '${shape.glob}' have no event time; they cannot be placed in a tile.`,
      { where, hint: 'Give every event a timestamp, or drop those rows from the source.' },
    );
  }
  if (Number(row?.bad ?? 0) > 0) {
    throw new RequestError(
      'INVALID_EVENTS',
      `Aggregation view '${view.name}': events in '${shape.glob}' have times out of range (earliest ${String(row!.lo)}, latest ${String(row!.hi)}); features ${where.feature} cannot place them in a tile.`,
      {
        where,
        hint: `Fix or drop the events whose '${ts}' is infinite or outside the years -271821 to 275760 (what a JavaScript Date holds).`,
      },
    );
  }
}

/**
 * About this many events per tiling statement. A statement has a fixed part (planning, globbing,
 * reading every file's footer, building and finishing its hash table) that a day of ~33k events
 * (the benchmark at 1/10 scale) pays 30 times over: 30 one-day statements took 2.0-2.5x one 30-day
 * statement (docs/profiles/aggregation-backfill.md). Progress is still by day: a statement covers
 * whole days, and each finished statement reports its days.
 */
const CHUNK_EVENTS = 1_000_000;

/** Days per tiling statement: as many whole days as hold about `perChunk` events (at least 1). */
function chunkDays(lo: number, hi: number, events: number, dayMs: number, perChunk: number): number {
  const days = Math.ceil((hi - lo + 1) / dayMs);
  if (events <= 0) return 1;
  return Math.max(1, Math.min(days, Math.floor((perChunk * days) / events)));
}

/**
 * The tiles of events with time in [start, end), per entity, pruned to what reads at or after the
 * entity's newest event can reach. Tiled one day-aligned chunk at a time (so a day reads only that
 * day's row groups, and progress is by day) into a temporary table, then streamed out by entity.
 */
export async function* pullTiles(
  conn: DuckDBConnection,
  view: FeatureViewSpec,
  shape: EventShape,
  start: Date,
  end: Date,
  options: { batchSize?: number; onProgress?: (p: TileProgress) => void; table: string; chunkEvents?: number },
): AsyncGenerator<TileBatch> {
  const plan = planTiles(view);
  const timing = fileTiming(view, shape);
  await checkEventTimes(conn, view, shape);
  const scanTime = timing.scanTime!;
  const [range] = await queryRows(
    conn,
    `SELECT epoch_ms(min(${scanTime})) AS lo, epoch_ms(max(${scanTime})) AS hi, count(*) AS n FROM ${shape.from} WHERE ${scanTime} >= ${timestampLiteral(start)} AND ${scanTime} < ${timestampLiteral(end)}`,
  );
  const keys = view.entityColumns.map((_, i) => `__frec_k${i}`);
  // Pruning needs a window over each entity's tiles (a second partitioning of every tile); it can drop
  // nothing when every event's tile is within the longest window of the newest tile.
  const tileOf = (ms: unknown): number => Math.floor(Number(ms) / plan.tileMs) * plan.tileMs;
  const empty = range?.lo === null || range?.lo === undefined;
  const prunable = !empty && tileOf(range.lo) < tileOf(range.hi) - plan.maxWindowMs;
  // Chunks are whole days of whole tiles, so no tile spans two chunks.
  const day = Math.max(1, Math.round(DAY_MS / plan.tileMs)) * plan.tileMs;
  const hi = Number(range?.hi);
  const chunk = empty ? day : day * chunkDays(Number(range.lo), hi, Number(range.n), day, options.chunkEvents ?? CHUNK_EVENTS);
  const lo = empty ? 0 : Math.floor(Number(range.lo) / day) * day;
  // Progress counts days: each day of a statement once it is done, or (a statement of more than a
  // month of sparse days) the statement's last day.
  const total = empty ? 0 : Math.floor((hi - lo) / day) + 1;
  const report = (c: number): void => {
    const last = Math.min(c + chunk - day, lo + (total - 1) * day);
    for (let d = chunk <= 31 * day ? c : last; d <= last; d += day)
      options.onProgress?.({ phase: 'tiling', day: new Date(d).toISOString().slice(0, 10), done: (d - lo) / day + 1, total });
  };
  const eventsOf = (c: number): string =>
    compileEvents(view, shape, timing, '', { startMs: Math.max(c, start.getTime()), endMs: Math.min(c + chunk, end.getTime()) });
  if (!empty && lo + chunk > hi) {
    // One statement covers the range: tiled, pruned and ordered as it streams, with no table written
    // and read back. As fast as by the table, but the table's copy of the tiles is not held: peak RSS
    // 345-362 MB against 425-434 MB at 1/10 scale (docs/profiles/aggregation-backfill.md).
    let reported = false;
    const sql = compileTiles(view, eventsOf(lo), { prune: prunable, order: true });
    for await (const batch of streamTileStates(conn, view, sql, options.batchSize ?? 10_000, { prune: true })) {
      if (!reported) report(lo);
      reported = true;
      yield batch;
    }
    if (!reported) report(lo);
    return;
  }
  const table = ident(options.table);
  const first = compileTiles(view, compileEvents(view, shape, timing, 'false'), { order: false });
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${table} AS ${first}`);
  try {
    for (let c = lo; !empty && c <= hi; c += chunk) {
      await conn.run(`INSERT INTO ${table} ${compileTiles(view, eventsOf(c), { order: false })}`);
      report(c);
    }
    const qualify = prunable ? ` QUALIFY __frec_tile >= max(__frec_tile) OVER (PARTITION BY ${keys.join(', ')}) - ${plan.maxWindowMs}` : '';
    const sql = `SELECT * FROM ${table}${qualify} ORDER BY ${[...keys, '__frec_tile'].join(', ')}`;
    yield* streamTileStates(conn, view, sql, options.batchSize ?? 10_000, { prune: true });
  } finally {
    await conn.run(`DROP TABLE IF EXISTS ${table}`);
  }
}

/**
 * The stream worker's half: tiles of one batch of events, by the same statement as the batch path.
 * `events` carry their entity key, time (epoch ms) and raw fields; their order is the arrival order.
 */
export async function tileEvents(
  conn: DuckDBConnection,
  view: FeatureViewSpec,
  shape: EventShape,
  events: readonly TileEvent[],
  table: string,
): Promise<TileBatch> {
  if (events.length === 0) return { keys: [], states: [] };
  // Raw fields arrive as strings (broker) or typed values: load as text, cast to the source's types.
  const tsField = batchSourceOf(view).timestampField;
  const keyNames = view.entityColumns.map((k) => k.name);
  const fields = new Set<string>([...shape.columns.keys()]);
  for (const e of events) for (const f of Object.keys(e.values)) fields.add(f);
  const cols = [...fields].filter((f) => !keyNames.includes(f) && f !== tsField && !f.startsWith('__frec_'));
  await createTableFromColumns(
    conn,
    table,
    [
      ...view.entityColumns.map((k, i) => ({
        name: k.name,
        type: duckTypeOfValueType(k.dtype),
        values: events.map((e) => toDuck(k.dtype, e.key[i])),
      })),
      { name: '__frec_time', type: BIGINT, values: events.map((e) => BigInt(Math.trunc(e.timeMs))) },
      { name: '__frec_order', type: BIGINT, values: events.map((_, i) => BigInt(i + 1)) },
      ...cols.map((c) => ({
        name: c,
        type: VARCHAR,
        values: events.map((e) => {
          const v = e.values[c];
          return v === null || v === undefined ? null : v instanceof Date ? v.toISOString() : String(v);
        }),
      })),
    ],
    events.length,
  );
  try {
    const casts = cols.map((c) => {
      const t = shape.columns.get(c);
      return t && t !== 'VARCHAR' ? `TRY_CAST(${ident(c)} AS ${t}) AS ${ident(c)}` : ident(c);
    });
    const ts = `make_timestamp(__frec_time * 1000) AS ${ident(tsField)}`;
    const from = `(SELECT ${[...keyNames.map(ident), '__frec_time', '__frec_order', ts, ...casts].join(', ')} FROM ${ident(table)})`;
    const batchShape: EventShape = {
      ...shape,
      from,
      columns: new Map([
        ...shape.columns,
        ...view.entityColumns.map((k) => [k.name, duckTypeOfValueType(k.dtype).toString()] as [string, string]),
      ]),
    };
    const sql = compileTiles(view, compileEvents(view, batchShape, { timeMs: '__frec_time', order: '__frec_order' }));
    let out: TileBatch = { keys: [], states: [] };
    for await (const b of streamTileStates(conn, view, sql, Number.MAX_SAFE_INTEGER)) out = b;
    return out;
  } finally {
    await conn.run(`DROP TABLE IF EXISTS ${ident(table)}`);
  }
}
