import { JSDuckDBValueConverter, type DuckDBConnection } from '@duckdb/node-api';
import { RequestError, type FeatureViewSpec } from '@frec/core';
import {
  emptyTiles,
  evaluateFeature,
  foldEvent,
  planTiles,
  pruneTiles,
  type FeatureValue,
  type TileBatch,
  type TileEvent,
  type TileProgress,
  type TileState,
} from '@frec/core/spi';
import { asDeclared, asUtcTimestamp } from '../duckdb-types.js';
import { ident, literal, timestampLiteral } from '../sql.js';
import { duckTypeOfValueType } from './duckdb-arrow.js';
import { createTableFromColumns, doublesOf, queryRows } from './duckdb-connection.js';
import { compileEvents, compileTiles, fileTiming, streamTileStates, type EventShape } from './duckdb-tiles.js';
import { BIGINT, VARCHAR } from '@duckdb/node-api';
import { batchSourceOf } from '../file-source.js';

/** A computed feature value as the DuckDB appender takes it for the declared type. */
function toDuck(dtype: string, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return dtype === 'int64' ? BigInt(Math.trunc(v)) : v;
  const el = dtype.replace('[]', '');
  return Array.isArray(v) ? v.map((x) => toDuckScalar(el, x)) : toDuckScalar(el, v);
}

function toDuckScalar(el: string, x: unknown): unknown {
  return x === null || x === undefined ? null : el === 'int64' ? BigInt(Math.trunc(Number(x))) : x;
}

/** Slot kinds whose input is a number (or only its presence): read from DuckDB as DOUBLE, no per-value conversion. */
const NUMERIC_SLOTS = new Set(['count', 'sum', 'min', 'max']);

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

/** Below this many events per statement, a history longer than a year is tiled several days per statement. */
const SPARSE_CHUNK_EVENTS = 250_000;
const LONG_HISTORY_MS = 366 * DAY_MS;

/**
 * Days per tiling statement: 1, except for a history longer than a year with few events a day
 * (e.g. 100k ratings spread over 22 years), where one statement a day would cost its fixed part
 * (planning, reading the row groups) 8,000 times for a few dozen events each; there a statement
 * covers about SPARSE_CHUNK_EVENTS events' worth of days.
 */
function sparseChunkDays(lo: number, hi: number, events: number, dayMs: number): number {
  const span = hi - lo + 1;
  if (span <= LONG_HISTORY_MS || events <= 0) return 1;
  return Math.max(1, Math.min(Math.ceil(span / dayMs), Math.floor((SPARSE_CHUNK_EVENTS * span) / (events * dayMs))));
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
  options: { batchSize?: number; onProgress?: (p: TileProgress) => void; table: string },
): AsyncGenerator<TileBatch> {
  const plan = planTiles(view);
  const timing = fileTiming(view, shape);
  await checkEventTimes(conn, view, shape);
  const scanTime = timing.scanTime!;
  const [range] = await queryRows(
    conn,
    `SELECT epoch_ms(min(${scanTime})) AS lo, epoch_ms(max(${scanTime})) AS hi, count(*) AS n FROM ${shape.from} WHERE ${scanTime} >= ${timestampLiteral(start)} AND ${scanTime} < ${timestampLiteral(end)}`,
  );
  const table = ident(options.table);
  const first = compileTiles(view, compileEvents(view, shape, timing, 'false'), { order: false });
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${table} AS ${first}`);
  try {
    if (range?.lo !== null && range?.lo !== undefined) {
      // Chunks are whole tiles, about a day long, so no tile spans two chunks.
      const day = Math.max(1, Math.round(DAY_MS / plan.tileMs)) * plan.tileMs;
      const hi = Number(range.hi);
      const chunk = day * sparseChunkDays(Number(range.lo), hi, Number(range.n), day);
      const lo = Math.floor(Number(range.lo) / chunk) * chunk;
      const total = Math.floor((hi - lo) / chunk) + 1;
      let done = 0;
      for (let c = lo; c <= hi; c += chunk) {
        const a = Math.max(c, start.getTime());
        const b = Math.min(c + chunk, end.getTime());
        await conn.run(
          `INSERT INTO ${table} ${compileTiles(view, compileEvents(view, shape, timing, '', { startMs: a, endMs: b }), { order: false })}`,
        );
        options.onProgress?.({ phase: 'tiling', day: new Date(c).toISOString().slice(0, 10), done: ++done, total });
      }
    }
    const keys = view.entityColumns.map((_, i) => `__frec_k${i}`);
    const sql = `SELECT * FROM ${table} QUALIFY __frec_tile >= max(__frec_tile) OVER (PARTITION BY ${keys.join(', ')}) - ${plan.maxWindowMs} ORDER BY ${[...keys, '__frec_tile'].join(', ')}`;
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

/**
 * Historical values of an aggregation view, one row per distinct (entity key, entity time): events
 * and query points of each entity are read in one ordered stream (events at a time before the query
 * at that time: windows are inclusive of t), folded into tiles and evaluated with the same code as
 * the online read. The result lands in `table` with the keys, `__frec_ts_ms` and the features.
 */
export async function historicalAggregates(
  conn: DuckDBConnection,
  view: FeatureViewSpec,
  shape: EventShape,
  entity: { from: string; columns: ReadonlyMap<string, string>; timestampColumn: string },
  features: readonly string[],
  table: string,
): Promise<void> {
  await checkEventTimes(conn, view, shape);
  const plan = planTiles(view);
  const nk = view.entityColumns.length;
  const entityKeys = view.entityColumns.map(
    (k, i) => `${asDeclared(ident(k.name), k.dtype, entity.columns.get(k.name) ?? '')} AS __frec_k${i}`,
  );
  const et = asUtcTimestamp(ident(entity.timestampColumn), entity.columns.get(entity.timestampColumn) ?? 'TIMESTAMP');
  const keyList = view.entityColumns.map((_, i) => `__frec_k${i}`);
  const points = `SELECT DISTINCT ${entityKeys.join(', ')}, epoch_ms(${et}) AS __frec_t FROM ${entity.from}`;
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${ident(table + '_q')} AS ${points}`);
  const bounds = `SELECT ${keyList.join(', ')}, max(__frec_t) AS __frec_hi FROM ${ident(table + '_q')} GROUP BY ALL`;
  const events = compileEvents(view, shape, fileTiming(view, shape));
  // Numeric inputs as DOUBLE (a count's as 1.0 when present), so the fold reads them without converting.
  const slots = plan.slots.map((spec, j) =>
    !NUMERIC_SLOTS.has(spec.kind)
      ? `__frec_s${j}`
      : spec.kind === 'count'
        ? `CASE WHEN __frec_s${j} IS NOT NULL THEN 1.0 ELSE 'NaN'::DOUBLE END AS __frec_s${j}`
        : `coalesce(TRY_CAST(__frec_s${j} AS DOUBLE), 'NaN'::DOUBLE) AS __frec_s${j}`,
  );
  const slotNames = plan.slots.map((_, j) => `__frec_s${j}`);
  const sql = [
    `SELECT * FROM (`,
    `  SELECT ${keyList.map((k) => `ev.${k}`).join(', ')}, ev.__frec_t::DOUBLE AS __frec_t, 0 AS __frec_kind, ev.__frec_rn, ${slots.join(', ')}`,
    `  FROM (${events}) ev SEMI JOIN (${bounds}) b ON ${keyList.map((k) => `ev.${k} = b.${k}`).join(' AND ')} AND ev.__frec_t <= b.__frec_hi`,
    `  UNION ALL`,
    `  SELECT ${keyList.join(', ')}, __frec_t::DOUBLE, 1 AS __frec_kind, 0 AS __frec_rn, ${slotNames.map((s) => `NULL AS ${s}`).join(', ')} FROM ${ident(table + '_q')}`,
    `) ORDER BY ${[...keyList, '__frec_t', '__frec_kind', '__frec_rn'].join(', ')}`,
  ].join('\n');
  const feats = features.map((n) => plan.features[plan.byName.get(n)!]!);
  const outKeys: unknown[][] = view.entityColumns.map(() => []);
  const outT: bigint[] = [];
  const outV: FeatureValue[][] = feats.map(() => []);
  const result = await conn.stream(sql);
  let cur: unknown[] | undefined;
  let st: TileState = emptyTiles(plan);
  const inputs = new Array<unknown>(plan.slots.length);
  let since = 0;
  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    // Keys and non-numeric inputs are converted; time, kind and numeric inputs are DuckDB's own numbers.
    const cols: unknown[][] = [];
    for (let i = 0; i < nk + 3 + plan.slots.length; i++) {
      const numeric = i === nk || i === nk + 1 || (i >= nk + 3 && NUMERIC_SLOTS.has(plan.slots[i - nk - 3]!.kind));
      cols.push(i === nk + 2 ? [] : numeric ? (doublesOf(chunk, i) as unknown[]) : chunk.convertColumnValues(i, JSDuckDBValueConverter));
    }
    const tcol = cols[nk]! as number[];
    const kind = cols[nk + 1]!;
    // rowCount is a native call: read once per chunk.
    const rows = chunk.rowCount;
    for (let r = 0; r < rows; r++) {
      let same = cur !== undefined;
      for (let i = 0; same && i < nk; i++) if (cols[i]![r] !== cur![i]) same = false;
      if (!same) {
        cur = [];
        for (let i = 0; i < nk; i++) cur.push(cols[i]![r]);
        st = emptyTiles(plan);
        since = 0;
      }
      const t = tcol[r]!;
      if (kind[r] === 0) {
        for (let j = 0; j < inputs.length; j++) {
          const v = cols[nk + 3 + j]![r];
          // NaN is a numeric slot's "no value" (null in the SQL): skipped, as a null is.
          inputs[j] = v !== v ? null : v;
        }
        foldEvent(plan, st, t, inputs);
        // Tiles no later read can reach are dropped now and then, so one busy entity stays bounded.
        if (++since >= 256) {
          pruneTiles(plan, st);
          since = 0;
        }
      } else {
        for (let i = 0; i < nk; i++) outKeys[i]!.push(cur![i]);
        outT.push(BigInt(t));
        for (let f = 0; f < feats.length; f++) outV[f]!.push(evaluateFeature(plan, st, feats[f]!, t));
      }
    }
  }
  await conn.run(`DROP TABLE IF EXISTS ${ident(table + '_q')}`);
  await createTableFromColumns(
    conn,
    table,
    [
      ...view.entityColumns.map((k, i) => ({
        name: k.name,
        type: duckTypeOfValueType(k.dtype),
        values: outKeys[i]!.map((v) => toDuck(k.dtype, v)),
      })),
      { name: '__frec_ts_ms', type: BIGINT, values: outT },
      ...feats.map((f, i) => ({ name: f.name, type: duckTypeOfValueType(f.dtype), values: outV[i]!.map((v) => toDuck(f.dtype, v)) })),
    ],
    outT.length,
  );
}
