import {
  DOUBLE,
  DuckDBDataChunk,
  JSDuckDBValueConverter,
  JSToDuckDBValueConverter,
  type DuckDBConnection,
  type DuckDBType,
} from '@duckdb/node-api';
import { ErrorCode, FrecError, type FeatureViewSpec } from '@frec/core';
import {
  emptyTiles,
  evaluateFeature,
  foldEvent,
  planTiles,
  pruneTiles,
  type FeatureValue,
  type TileFeature,
  type TilePlan,
  type TileState,
} from '@frec/core/spi';
import { asDeclared, asUtcTimestamp, duckdbTypeOf } from '../duckdb-types.js';
import { ident } from '../sql.js';
import { checkEventTimes, NUMERIC_SLOTS, toDuck } from './duckdb-aggregations.js';
import { duckTypeOfValueType } from './duckdb-arrow.js';
import { doublesOf, queryRows } from './duckdb-connection.js';
import { compileEvents, fileTiming, type EventShape } from './duckdb-tiles.js';
import { foldNumeric, numericFoldApplies, readUnion, rowsPerRangeNow, type NumericFoldPlan } from './duckdb-historical-numeric.js';

/**
 * Historical values of an aggregation view (docs/aggregations.md, ADR 0098): one row per distinct
 * (entity key, entity time). Events and query points of each entity are read in one ordered stream
 * (events at a time before the query at that time: windows are inclusive of t), folded into tiles
 * and evaluated with the same code as the online read. The result lands in `table` with the keys,
 * `__frec_ts_ms` and the features.
 *
 * What crosses from DuckDB to JS is numbers only: each entity is a dense ordinal (`__frec_e`) and
 * each query point a sequence number (`__frec_q`, -1 on events) assigned in DuckDB, so no key is
 * converted per row and the sort runs on integers; the values come back keyed by `__frec_q` and
 * DuckDB joins the keys back on.
 *
 * When every requested feature is a count, sum, mean, min or max, the union is not sorted by DuckDB:
 * the numeric fold (duckdb-historical-numeric.ts) orders it in JS and gives the same values.
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
  const keyList = view.entityColumns.map((_, i) => `__frec_k${i}`);
  const entityKeys = view.entityColumns.map(
    (k, i) => `${asDeclared(ident(k.name), k.dtype, entity.columns.get(k.name) ?? '')} AS __frec_k${i}`,
  );
  const et = asUtcTimestamp(ident(entity.timestampColumn), entity.columns.get(entity.timestampColumn) ?? 'TIMESTAMP');
  const q = ident(table + '_q');
  const o = ident(table + '_o');
  // __frec_q follows the stream's order (entity, time), so the values arrive in __frec_q order.
  await conn.run(
    `CREATE OR REPLACE TEMP TABLE ${q} AS SELECT *, dense_rank() OVER (ORDER BY ${keyList.join(', ')}) - 1 AS __frec_e,
       row_number() OVER (ORDER BY ${[...keyList, '__frec_t'].join(', ')}) - 1 AS __frec_q
     FROM (SELECT DISTINCT ${entityKeys.join(', ')}, epoch_ms(${et}) AS __frec_t FROM ${entity.from}) ORDER BY __frec_q`,
  );
  const [count] = await queryRows(conn, `SELECT count(*) AS n FROM ${q}`);
  const nq = Number(count?.n ?? 0);
  // Per entity, the events any of its reads can reach: at or before its latest entity time, and no
  // earlier than its first entity time's window (less a tile, whichever way the division rounds).
  const reach = plan.maxWindowMs + plan.tileMs;
  const bounds = `SELECT __frec_e, ${keyList.join(', ')}, max(__frec_t) AS __frec_hi, min(__frec_t) - ${reach} AS __frec_lo FROM ${q} GROUP BY ALL`;
  const events = compileEvents(view, shape, fileTiming(view, shape));
  // The fold's inputs, one column per distinct (conversion, column, filter): slots reading the same
  // column share it (sum and max of rating), and a count of all rows needs none (its input is 1).
  // Numeric inputs travel as DOUBLE (a count's as 1.0 when present, NaN when absent), read without converting.
  const feats = features.map((n) => plan.features[plan.byName.get(n)!]!);
  const out = feats.map((f) => outputColumn(view, f.dtype, nq));
  const numeric = numericFoldApplies(feats);
  // The numeric fold reads only the requested features' slots; the general one folds every slot.
  const used = numeric ? [...new Set(feats.map((f) => f.slot))] : plan.slots.map((_, j) => j);
  const inputCols: Array<{ sql: string; numeric: boolean }> = [];
  const byKey = new Map<string, number>();
  const inputOf = used.map((j) => {
    const spec = plan.slots[j]!;
    const cls = !NUMERIC_SLOTS.has(spec.kind) ? 'raw' : spec.kind === 'count' ? 'present' : 'num';
    if (cls === 'present' && !spec.column && !spec.filter) return -1;
    const key = `${cls}\u0000${spec.column ?? ''}\u0000${spec.filter ?? ''}`;
    let c = byKey.get(key);
    if (c === undefined) {
      const x = `__frec_s${j}`;
      byKey.set(key, (c = inputCols.length));
      inputCols.push({
        sql:
          cls === 'raw'
            ? x
            : cls === 'present'
              ? `CASE WHEN ${x} IS NOT NULL THEN 1.0 ELSE 'NaN'::DOUBLE END`
              : `coalesce(TRY_CAST(${x} AS DOUBLE), 'NaN'::DOUBLE)`,
        numeric: cls !== 'raw',
      });
    }
    return c;
  });
  const names = inputCols.map((_, c) => `__frec_i${c}`);
  const sql = [
    `SELECT __frec_e::DOUBLE, __frec_t::DOUBLE, __frec_q::DOUBLE${names.map((n) => `, ${n}`).join('')} FROM (`,
    `  SELECT b.__frec_e, ev.__frec_t, -1 AS __frec_q, ev.__frec_rn${inputCols.map((c, i) => `, ${c.sql} AS ${names[i]}`).join('')}`,
    `  FROM (${events}) ev JOIN (${bounds}) b ON ${keyList.map((k) => `ev.${k} = b.${k}`).join(' AND ')} AND ev.__frec_t <= b.__frec_hi AND ev.__frec_t >= b.__frec_lo`,
    `  UNION ALL`,
    `  SELECT __frec_e, __frec_t, __frec_q, 0 AS __frec_rn${names.map((n) => `, NULL AS ${n}`).join('')} FROM ${q}`,
    `) ORDER BY __frec_e, __frec_t, __frec_q, __frec_rn`,
  ].join('\n');
  if (numeric) {
    await foldNumericRanges(conn, plan, view, {
      events: `SELECT b.__frec_e, ev.__frec_t, -1 AS __frec_q${inputCols.map((c, i) => `, ${c.sql} AS ${names[i]}`).join('')}
        FROM (${events}) ev JOIN (${bounds}) b ON ${keyList.map((k) => `ev.${k} = b.${k}`).join(' AND ')} AND ev.__frec_t <= b.__frec_hi AND ev.__frec_t >= b.__frec_lo`,
      // An entity row without a time matches nothing in the end; a number here keeps the fold's ordering well defined.
      points: `SELECT __frec_e, coalesce(__frec_t, 0) AS __frec_t, __frec_q${names.map((n) => `, NULL AS ${n}`).join('')} FROM ${q}`,
      inputs: names.length,
      count: `SELECT count(*) AS n FROM ${shape.from}`,
      nq,
      feats,
      fold: {
        slots: used.map((j, u) => ({ kind: plan.slots[j]!.kind as 'count' | 'sum' | 'min' | 'max', input: inputOf[u]! })),
        slotOf: feats.map((f) => used.indexOf(f.slot)),
      },
      out,
    });
  } else {
    await foldGeneral(conn, plan, view, sql, inputCols, inputOf, feats, out, nq);
  }
  await writeBack(conn, view, table, q, o, feats, out, nq);
}

/** The general fold: DuckDB orders every entity's events and query points, the rows stream out and fold with the online code. */
async function foldGeneral(
  conn: DuckDBConnection,
  plan: TilePlan,
  view: FeatureViewSpec,
  sql: string,
  inputCols: ReadonlyArray<{ numeric: boolean }>,
  inputOf: readonly number[],
  feats: readonly TileFeature[],
  out: readonly OutputColumn[],
  nq: number,
): Promise<void> {
  const result = await conn.stream(sql);
  let curE = -1;
  let st: TileState = emptyTiles(plan);
  const inputs = new Array<unknown>(plan.slots.length);
  const cols = new Array<ArrayLike<unknown>>(inputCols.length);
  let since = 0;
  let seen = 0;
  // The next chunk is asked for before this one is folded, so DuckDB produces it meanwhile.
  let next = result.fetchChunk();
  try {
    for (;;) {
      const chunk = await next;
      if (!chunk || chunk.rowCount === 0) break;
      next = result.fetchChunk();
      const ecol = doublesOf(chunk, 0);
      const tcol = doublesOf(chunk, 1);
      const qcol = doublesOf(chunk, 2);
      for (let c = 0; c < cols.length; c++)
        cols[c] = inputCols[c]!.numeric ? doublesOf(chunk, 3 + c) : chunk.convertColumnValues(3 + c, JSDuckDBValueConverter);
      // rowCount is a native call: read once per chunk.
      const rows = chunk.rowCount;
      for (let r = 0; r < rows; r++) {
        const e = ecol[r]!;
        if (e !== curE) {
          curE = e;
          st = emptyTiles(plan);
          since = 0;
        }
        const t = tcol[r]!;
        const qid = qcol[r]!;
        if (qid < 0) {
          for (let j = 0; j < inputs.length; j++) {
            const c = inputOf[j]!;
            const v = c < 0 ? 1 : cols[c]![r];
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
          if (qid !== seen) throw internal(view, `query point ${qid} arrived where ${seen} was expected`);
          seen++;
          for (let f = 0; f < feats.length; f++) out[f]!.set(qid, evaluateFeature(plan, st, feats[f]!, t));
        }
      }
    }
  } finally {
    // A fetch still pending when the loop failed must not surface as an unhandled rejection.
    next.catch(() => undefined);
  }
  if (seen !== nq) throw internal(view, `${seen} of ${nq} query points were evaluated`);
}

/**
 * The numeric fold (duckdb-historical-numeric.ts) over the union of events and query points, an entity
 * range at a time when the events are many, so the rows held in JS stay bounded.
 */
async function foldNumericRanges(
  conn: DuckDBConnection,
  plan: TilePlan,
  view: FeatureViewSpec,
  u: {
    events: string;
    points: string;
    inputs: number;
    count: string;
    nq: number;
    feats: readonly TileFeature[];
    fold: NumericFoldPlan;
    out: readonly OutputColumn[];
  },
): Promise<void> {
  if (u.nq === 0) return;
  const [ev] = await queryRows(conn, u.count);
  const [ent] = await queryRows(conn, `SELECT max(__frec_e) + 1 AS n FROM (${u.points})`);
  const ne = Number(ent?.n ?? 0);
  const ranges = Math.max(1, Math.ceil((Number(ev?.n ?? 0) + u.nq) / rowsPerRangeNow()));
  const width = Math.ceil(ne / ranges);
  const set = (k: number, qid: number, v: FeatureValue): void => u.out[k]!.set(qid, v);
  // In place where no coercion applies: counts, sums and means are numbers as computed, a float extreme too.
  const direct = u.feats.map((f, k) =>
    (f.fn === 'min' || f.fn === 'max') && f.element !== 'float64' && f.element !== 'float32' ? undefined : u.out[k]!.direct,
  );
  let seen = 0;
  for (let lo = 0; lo < ne; lo += width) {
    const where = ranges === 1 ? '' : ` WHERE __frec_e >= ${lo} AND __frec_e < ${lo + width}`;
    const cast = `__frec_e::DOUBLE, __frec_t::DOUBLE, __frec_q::DOUBLE${Array.from({ length: u.inputs }, (_, i) => `, __frec_i${i}::DOUBLE`).join('')}`;
    // No ORDER BY: the fold orders the rows itself (the sort was DuckDB's costliest step here).
    const sql = `SELECT ${cast} FROM (${u.events} UNION ALL ${u.points})${where}`;
    const rows = readUnion(await conn.run(sql), u.inputs);
    seen += foldNumeric(plan, u.fold, u.feats, rows, set, direct);
  }
  if (seen !== u.nq) throw internal(view, `${seen} of ${u.nq} query points were evaluated`);
}

/** The values, keyed by query point, back into DuckDB and joined to the keys: `table`. */
async function writeBack(
  conn: DuckDBConnection,
  view: FeatureViewSpec,
  table: string,
  q: string,
  o: string,
  feats: readonly TileFeature[],
  out: readonly OutputColumn[],
  nq: number,
): Promise<void> {
  await conn.run(
    `CREATE OR REPLACE TEMP TABLE ${o} (${['__frec_q DOUBLE', ...feats.map((_, i) => `__frec_v${i} ${out[i]!.type.toString()}`)].join(', ')})`,
  );
  await appendOutput(conn, table + '_o', out, nq);
  const values = feats.map((f, i) => `${out[i]!.select(`o.__frec_v${i}`, f.dtype)} AS ${ident(f.name)}`);
  // Both tables hold the points in __frec_q order (the points' table was created ORDER BY it, the
  // values were appended in it) when DuckDB keeps insertion order: then a positional join, which
  // costs about half the hash join; checked row by row first, so a setting that reorders falls back.
  const [pos] = await queryRows(
    conn,
    `SELECT count(*) AS n FROM ${q} q POSITIONAL JOIN ${o} o WHERE o.__frec_q IS DISTINCT FROM q.__frec_q::DOUBLE`,
  );
  const join = Number(pos?.n ?? 1) === 0 ? `${q} q POSITIONAL JOIN ${o} o` : `${q} q JOIN ${o} o ON o.__frec_q = q.__frec_q::DOUBLE`;
  await conn.run(
    `CREATE OR REPLACE TEMP TABLE ${ident(table)} AS SELECT ${view.entityColumns.map((k, i) => `q.__frec_k${i} AS ${ident(k.name)}`).join(', ')},
       q.__frec_t AS __frec_ts_ms${values.length ? `, ${values.join(', ')}` : ''}
     FROM ${join}`,
  );
  await conn.run(`DROP TABLE IF EXISTS ${q}`);
  await conn.run(`DROP TABLE IF EXISTS ${o}`);
}

/** A broken invariant of this module (a bug, not bad input): coded, naming the view. */
function internal(view: FeatureViewSpec, what: string): FrecError {
  return new FrecError(ErrorCode.INTERNAL, `Historical retrieval of aggregation view '${view.name}': ${what}.`, {
    where: { featureView: view.name },
    hint: 'This is a bug in frec; report it with the view declaration and the entity rows.',
  });
}

/** One feature's values by query point: numbers in a Float64Array with a null mask, anything else as JS values. */
interface OutputColumn {
  type: DuckDBType;
  set(i: number, v: FeatureValue): void;
  /** The appended column as the feature's declared type. */
  select(expr: string, dtype: string): string;
  fill(chunk: DuckDBDataChunk, column: number, start: number, n: number): void;
  /** A numeric column's values and null mask (1: null), for a fold that writes them in place. */
  direct?: { x: Float64Array; nulls: Uint8Array };
}

const NUMERIC_TYPES = new Set(['int32', 'int64', 'float32', 'float64']);

function outputColumn(view: FeatureViewSpec, dtype: FeatureViewSpec['features'][number]['dtype'], n: number): OutputColumn {
  if (!NUMERIC_TYPES.has(dtype)) {
    const values = new Array<unknown>(n).fill(null);
    const type = duckTypeOfValueType(dtype);
    return {
      type,
      set: (i, v) => (values[i] = toDuck(dtype, v)),
      select: (expr) => expr,
      fill: (chunk, column, start, len) =>
        chunk.setColumnValuesConverted(column, values.slice(start, start + len) as never[], JSToDuckDBValueConverter),
    };
  }
  // A numeric scalar feature's value is a number or null (evaluateFeature coerces to the element type).
  const x = new Float64Array(n);
  const nulls = new Uint8Array(n).fill(1);
  return {
    type: DOUBLE,
    direct: { x, nulls },
    set: (i, v) => {
      if (v === null) return;
      if (typeof v !== 'number') throw internal(view, `a ${dtype} feature's value ${String(v)} is not a number`);
      x[i] = v;
      nulls[i] = 0;
    },
    // Integers travel as doubles and are truncated as the appender's BigInt(Math.trunc(v)) was: exact for any integral double in range.
    select: (expr) => (dtype === 'float64' ? expr : `CAST(${dtype === 'float32' ? expr : `trunc(${expr})`} AS ${duckdbTypeOf(dtype)})`),
    fill: (chunk, column, start, len) => {
      const vec = chunk.getColumnVector(column) as unknown as {
        items: Float64Array;
        validity: { setItemValid(i: number, valid: boolean): void };
        flush(): void;
      };
      vec.items.set(x.subarray(start, start + len));
      for (let i = 0; i < len; i++) if (nulls[start + i] === 1) vec.validity.setItemValid(i, false);
      vec.flush();
    },
  };
}

const CHUNK_ROWS = 2048;

/** Appends the query ids and the output columns, a chunk at a time, writing numbers into the vectors directly. */
async function appendOutput(conn: DuckDBConnection, table: string, out: readonly OutputColumn[], n: number): Promise<void> {
  if (n === 0) return;
  const appender = await conn.createAppender(table, 'main', 'temp');
  try {
    const types = [DOUBLE, ...out.map((c) => c.type)];
    for (let start = 0; start < n; start += CHUNK_ROWS) {
      const len = Math.min(CHUNK_ROWS, n - start);
      const chunk = DuckDBDataChunk.create(types, len);
      const ids = chunk.getColumnVector(0) as unknown as { items: Float64Array; flush(): void };
      for (let i = 0; i < len; i++) ids.items[i] = start + i;
      ids.flush();
      out.forEach((c, i) => c.fill(chunk, i + 1, start, len));
      appender.appendDataChunk(chunk);
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
}
