import { JSDuckDBValueConverter, type DuckDBConnection } from '@duckdb/node-api';
import { DefinitionError, ErrorCode, type FeatureViewSpec } from '@frec/core';
import {
  didYouMean,
  emptyTiles,
  hllAdd,
  keyString,
  numberOf,
  planTiles,
  pruneTiles,
  scalarOf,
  type SlotSpec,
  type TilePlan,
  type TileBatch,
  type TileState,
} from '@frec/core/spi';
import { asDeclared, asUtcTimestamp, isCompatible } from '../duckdb-types.js';
import { SourceNotFoundError, SourceSchemaMismatchError } from '../errors.js';
import { batchSourceOf, mayBeEmpty, sourceColumn, sourceGlob } from '../file-source.js';
import { ident, literal, readParquet, timestampLiteral } from '../sql.js';
import { describe, doublesOf, queryRows } from './duckdb-connection.js';

/**
 * The batch half of the tile engine (docs/aggregations.md): DuckDB turns an aggregation view's
 * events into per-slot inputs (derived columns and filters applied, one SQL text for every path),
 * then into tiles by GROUP BY entity and time bucket. The stream worker runs the same statement over
 * each batch of events and merges the result with `mergeTiles`.
 */

/** An aggregation view's event source: the FROM item and its columns. */
export interface EventShape {
  from: string;
  columns: Map<string, string>;
  glob: string;
  empty: boolean;
}

/** Opens an aggregation view's event files; a stream source without files yet is an empty relation. */
export async function inspectEvents(conn: DuckDBConnection, view: FeatureViewSpec, repoPath: string): Promise<EventShape> {
  const src = batchSourceOf(view);
  const glob = sourceGlob(src, repoPath);
  const [row] = await queryRows(conn, `SELECT count(*) AS n FROM glob(${literal(glob)})`);
  if (Number(row?.n ?? 0) === 0) {
    if (!mayBeEmpty(view)) {
      throw new SourceNotFoundError(`Source '${src.name}' of aggregation view '${view.name}': no Parquet file at '${glob}'.`, {
        where: { featureView: view.name, source: src.name, file: glob },
        hint: 'Create the file, or fix the path (relative paths are read from the feature repo folder).',
      });
    }
    const cols = new Map<string, string>(
      view.entityColumns.map((k) => [sourceColumn(src, k.name), k.dtype === 'string' ? 'VARCHAR' : 'BIGINT']),
    );
    cols.set(src.timestampField, 'TIMESTAMP');
    for (const s of planTiles(view).slots)
      if (s.column && !cols.has(s.column) && !(s.column in (view.tiling?.derived ?? {}))) cols.set(s.column, 'DOUBLE');
    const from = `(SELECT ${[...cols].map(([c, t]) => `NULL::${t} AS ${ident(c)}`).join(', ')} WHERE false)`;
    return { from, columns: cols, glob, empty: true };
  }
  const from = readParquet([glob]);
  return { from, columns: await describe(conn, from), glob, empty: false };
}

const NUMERIC = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|REAL|DECIMAL.*)$/i;

/** Whether a slot needs per-event order (last, last_n): only then are rows numbered, which serializes the scan. */
function needsOrder(plan: TilePlan): boolean {
  return plan.slots.some((s) => s.kind === 'last' || s.kind === 'last_n');
}

function slotInput(s: SlotSpec): string {
  const v = s.column ? ident(s.column) : '1';
  return s.filter ? `CASE WHEN (${s.filter}) THEN ${v} END` : v;
}

/** How the rows of an event relation give time and order: from the files, or precomputed (the stream batch). */
export interface EventTiming {
  /** Event time as epoch ms (BIGINT). */
  timeMs: string;
  /** Arrival order within the relation. */
  order: string;
  /** The event time as a TIMESTAMP over the source's own column, so a time range prunes Parquet row groups. */
  scanTime?: string;
}

/** The file source's timing: the timestamp field as epoch ms, the file order as arrival order. */
export function fileTiming(view: FeatureViewSpec, shape: EventShape): EventTiming {
  const src = batchSourceOf(view);
  const ts = asUtcTimestamp(ident(src.timestampField), shape.columns.get(src.timestampField) ?? 'TIMESTAMP');
  return { timeMs: `epoch_ms(${ts})`, order: needsOrder(planTiles(view)) ? 'row_number() OVER ()' : '0', scanTime: ts };
}

/**
 * Per event: the key columns (`__frec_k<i>`), time (`__frec_t`), arrival order (`__frec_rn`) and each
 * slot's input (`__frec_s<j>`: null when the value is null or the filter rejects the row).
 * `where` filters on `__frec_t` before the rows are numbered, so the numbering follows file order.
 */
export function compileEvents(
  view: FeatureViewSpec,
  shape: EventShape,
  timing: EventTiming,
  where = '',
  range?: { startMs: number; endMs: number },
): string {
  const plan = planTiles(view);
  const src = batchSourceOf(view);
  const derived = Object.entries(view.tiling?.derived ?? {}).map(([n, e]) => `(${e}) AS ${ident(n)}`);
  const keys = view.entityColumns.map((k, i) => {
    const c = sourceColumn(src, k.name);
    return `${asDeclared(ident(c), k.dtype, shape.columns.get(c) ?? 'VARCHAR')} AS __frec_k${i}`;
  });
  // A range is filtered on the stored column itself: DuckDB then skips the row groups outside it.
  const scan =
    range && timing.scanTime
      ? ` WHERE ${timing.scanTime} >= ${timestampLiteral(new Date(range.startMs))} AND ${timing.scanTime} < ${timestampLiteral(new Date(range.endMs))}`
      : '';
  const timed = `SELECT *, ${timing.timeMs} AS __frec_t FROM ${shape.from}${scan}`;
  const filtered = `SELECT * FROM (${timed}) WHERE __frec_t IS NOT NULL${where ? ` AND (${where})` : ''}`;
  const numbered = `SELECT *, ${timing.order} AS __frec_rn${derived.length ? `, ${derived.join(', ')}` : ''} FROM (${filtered})`;
  const slots = plan.slots.map((s, j) => `${slotInput(s)} AS __frec_s${j}`);
  return `SELECT ${[...keys, '__frec_t', '__frec_rn', ...slots].join(', ')} FROM (${numbered})`;
}

/** Tile aggregates of slot j over input column x, as [output name, SQL aggregate] pairs (`__frec_a<j>_<field>`). */
function slotAggregates(s: SlotSpec, j: number, x: string): Array<[string, string]> {
  const nn = `FILTER (WHERE ${x} IS NOT NULL)`;
  const a = (f: string): string => `__frec_a${j}_${f}`;
  switch (s.kind) {
    case 'count':
      return [[a('c'), `count(${x})::DOUBLE`]];
    case 'sum':
      return [
        [a('c'), `count(${x})::DOUBLE`],
        [a('s'), `coalesce(sum(${x}::DOUBLE), 0)`],
      ];
    case 'min':
    case 'max':
      return [
        [a('c'), `count(${x})::DOUBLE`],
        [a('m'), `coalesce(${s.kind}(${x}::DOUBLE), 'NaN'::DOUBLE)`],
      ];
    case 'last':
      return [
        [a('lt'), `max(__frec_t) ${nn}`],
        [a('lv'), `arg_max(${x}, __frec_t::HUGEINT * 10000000000 + __frec_rn) ${nn}`],
      ];
    case 'last_n':
      return [[a('l'), `(list({'t': __frec_t, 'v': ${x}} ORDER BY __frec_t DESC, __frec_rn DESC) ${nn})[1:${s.n ?? 10}]`]];
    case 'distinct':
      return [[a('d'), `list(DISTINCT ${x}) ${nn}`]];
    // The sketch is built in TypeScript from the tile's distinct values (hll.ts): one hash for every path.
    case 'hll':
      return [[a('h'), `list(DISTINCT ${x}) ${nn}`]];
  }
}

/** Tiles per (entity, tile start) from an events statement, ordered by entity then tile. */
export function compileTiles(view: FeatureViewSpec, eventsSql: string, options: { prune?: boolean; order?: boolean } = {}): string {
  const plan = planTiles(view);
  const keys = view.entityColumns.map((_, i) => `__frec_k${i}`);
  // Slots over the same input (sum and max of one column) read one column and compute a shared
  // aggregate once: the count of both is one count. With ~one tile per event the GROUP BY is most of
  // the backfill's DuckDB time, and each aggregate its share (docs/profiles/aggregation-backfill.md).
  const inputs = plan.slots.map(slotInput);
  const pairs = plan.slots.flatMap((s, j) => slotAggregates(s, j, `__frec_s${inputs.indexOf(inputs[j]!)}`));
  const computed = new Map<string, string>();
  const outer: string[] = [];
  for (const [name, agg] of pairs) {
    const first = computed.get(agg);
    if (first === undefined) computed.set(agg, name);
    outer.push(first === undefined ? name : `${first} AS ${name}`);
  }
  const tile = `(__frec_t // ${plan.tileMs}) * ${plan.tileMs}`;
  const aggs = [...computed].map(([agg, name]) => `${agg} AS ${name}`);
  // Numbers as DOUBLE: the JS side reads them without a conversion per value (epoch ms are exact in a double).
  let sql = `SELECT ${[...keys, `(${tile})::DOUBLE AS __frec_tile`, 'max(__frec_t)::DOUBLE AS __frec_maxt', ...aggs].join(', ')} FROM (${eventsSql}) GROUP BY ${[...keys, tile].join(', ')}`;
  if (computed.size < pairs.length) sql = `SELECT ${[...keys, '__frec_tile', '__frec_maxt', ...outer].join(', ')} FROM (${sql})`;
  // Only the tiles a read at or after the entity's newest event can reach.
  if (options.prune) sql += ` QUALIFY __frec_tile >= max(__frec_tile) OVER (PARTITION BY ${keys.join(', ')}) - ${plan.maxWindowMs}`;
  if (options.order !== false) sql += ` ORDER BY ${[...keys, '__frec_tile'].join(', ')}`;
  return sql;
}

/** The column names a tiles statement yields, in order. */
export function tileColumns(view: FeatureViewSpec): string[] {
  const plan = planTiles(view);
  const fields: Record<SlotSpec['kind'], string[]> = {
    count: ['c'],
    sum: ['c', 's'],
    min: ['c', 'm'],
    max: ['c', 'm'],
    last: ['lt', 'lv'],
    last_n: ['l'],
    distinct: ['d'],
    hll: ['h'],
  };
  return [
    ...view.entityColumns.map((_, i) => `__frec_k${i}`),
    '__frec_tile',
    '__frec_maxt',
    ...plan.slots.flatMap((s, j) => fields[s.kind].map((f) => `__frec_a${j}_${f}`)),
  ];
}

function listOf(v: unknown): unknown[] {
  if (v === null || v === undefined) return [];
  if (Array.isArray(v)) return v;
  const items = (v as { items?: unknown[] }).items;
  if (Array.isArray(items)) return items;
  return Array.from((v as { toArray?: () => ArrayLike<unknown> }).toArray?.() ?? []);
}

function keyValue(v: unknown): string | number {
  return typeof v === 'bigint' ? Number(v) : (v as string | number);
}

/** Appends one tile row (column-major `cols`, row r) to an entity's state; tiles arrive in start order. */
function pushTile(plan: TilePlan, st: TileState, cols: unknown[][], r: number, base: number): void {
  const start = Number(cols[base]![r]);
  const maxT = Number(cols[base + 1]![r]);
  st.t.push(start);
  if (st.maxT === null || maxT > st.maxT) st.maxT = maxT;
  let c = base + 2;
  plan.slots.forEach((s, j) => {
    const x = st.s[j]!;
    switch (s.kind) {
      case 'count':
        x.c!.push(Number(cols[c++]![r]));
        break;
      case 'sum':
        x.c!.push(Number(cols[c++]![r]));
        x.s!.push(Number(cols[c++]![r]));
        break;
      case 'min':
      case 'max':
        x.c!.push(Number(cols[c++]![r]));
        x.m!.push(numberOf(cols[c++]![r]));
        break;
      case 'last': {
        const lt = cols[c++]![r];
        x.lt!.push(lt === null || lt === undefined ? null : Number(lt));
        x.lv!.push(scalarOf(cols[c++]![r] ?? null));
        break;
      }
      case 'last_n':
        x.l!.push(
          listOf(cols[c++]![r]).map((e) => {
            const o = e as { t: unknown; v: unknown };
            return [Number(o.t), scalarOf(o.v)] as [number, unknown];
          }),
        );
        break;
      case 'distinct':
        x.d!.push(listOf(cols[c++]![r]).map(scalarOf));
        break;
      case 'hll': {
        const sk: number[] = [];
        for (const v of listOf(cols[c++]![r])) hllAdd(sk, scalarOf(v));
        x.h!.push(sk);
        break;
      }
    }
  });
}

/**
 * Streams a tiles statement (ordered by entity, tile) as entity states, about `batchSize` entities a
 * batch; an entity is never split over two batches.
 */
export async function* streamTileStates(
  conn: DuckDBConnection,
  view: FeatureViewSpec,
  tilesSql: string,
  batchSize: number,
  options: { prune?: boolean } = {},
): AsyncGenerator<TileBatch> {
  const plan = planTiles(view);
  const nk = view.entityColumns.length;
  const result = await conn.stream(tilesSql);
  const numeric = tileColumns(view).map((c) => /^__frec_(tile|maxt|a\d+_[csm])$/.test(c));
  let batch: TileBatch = { keys: [], states: [] };
  let cur: string | undefined;
  let st: TileState | undefined;
  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    const cols: unknown[][] = [];
    for (let i = 0; i < numeric.length; i++)
      cols.push(numeric[i] ? (doublesOf(chunk, i) as unknown[]) : chunk.convertColumnValues(i, JSDuckDBValueConverter));
    // rowCount is a native call: read once per chunk.
    const rows = chunk.rowCount;
    for (let r = 0; r < rows; r++) {
      const key = [];
      for (let i = 0; i < nk; i++) key.push(keyValue(cols[i]![r]));
      const k = keyString(key);
      if (k !== cur) {
        if (st && options.prune) pruneTiles(plan, st);
        if (batch.keys.length >= batchSize) {
          yield batch;
          batch = { keys: [], states: [] };
        }
        cur = k;
        st = emptyTiles(plan);
        batch.keys.push(key);
        batch.states.push(st);
      }
      pushTile(plan, st!, cols, r, nk);
    }
  }
  if (st && options.prune) pruneTiles(plan, st);
  if (batch.keys.length > 0) yield batch;
}

/**
 * Checks an aggregation view against its event source: join keys and the timestamp exist, derived
 * expressions and filters parse and bind, aggregated columns exist with a usable type. Each failure is
 * a coded error naming the view, the feature and the fix.
 */
export async function checkAggregationSource(conn: DuckDBConnection, view: FeatureViewSpec, shape: EventShape): Promise<void> {
  const plan = planTiles(view);
  const src = batchSourceOf(view);
  const names = [...shape.columns.keys()];
  const where = { featureView: view.name, source: src.name, file: shape.glob };
  const need = (c: string, role: string, feature?: string): void => {
    if (!shape.columns.has(c)) {
      throw new SourceSchemaMismatchError(
        `Source '${src.name}' of aggregation view '${view.name}' has no column '${c}', the ${role}${feature ? ` of feature '${feature}'` : ''}.${didYouMean(c, names)}`,
        {
          where: { ...where, column: c, feature },
          hint: `Columns present: ${names.join(', ')}. Fix the column name or add it to derived.`,
        },
      );
    }
  };
  for (const k of view.entityColumns) need(sourceColumn(src, k.name), 'join key');
  need(src.timestampField, 'timestamp field');
  const derived = view.tiling?.derived ?? {};
  for (const d of Object.keys(derived)) {
    if (shape.columns.has(d)) {
      throw new DefinitionError(
        `Aggregation view '${view.name}': derived column '${d}' has the name of a source column.`,
        { where: { ...where, feature: d }, hint: 'Give the derived column another name.' },
        ErrorCode.DUPLICATE_NAME,
      );
    }
  }
  // Bind each derived expression alone, so the error names the one at fault.
  const types = new Map(shape.columns);
  for (const [d, expr] of Object.entries(derived)) {
    try {
      const cols = await describe(conn, `(SELECT (${expr}) AS ${ident(d)} FROM ${shape.from} LIMIT 0)`);
      types.set(d, cols.get(d) ?? 'VARCHAR');
    } catch (err) {
      throw new DefinitionError(
        `Aggregation view '${view.name}': derived column '${d}' = ${expr} is not a valid SQL expression over the source: ${firstLine(err)}`,
        { where: { ...where, feature: d }, hint: `Fix the expression; the source's columns are ${names.join(', ')}.`, cause: err },
        ErrorCode.INVALID_DEFINITION,
      );
    }
  }
  const derivedSel = Object.entries(derived).map(([n, e]) => `(${e}) AS ${ident(n)}`);
  for (const f of plan.features) {
    const a = view.tiling!.aggregations.find((x) => x.name === f.name)!;
    if (a.column) {
      if (!types.has(a.column)) need(a.column, 'aggregated column', f.name);
      const t = types.get(a.column)!;
      const numericFn = a.function === 'sum' || a.function === 'mean' || a.function === 'min' || a.function === 'max';
      const bad = numericFn ? !NUMERIC.test(t) : (a.function === 'last' || a.function === 'last_n') && !isCompatible(f.element, t);
      if (bad) {
        throw new SourceSchemaMismatchError(
          `Aggregation view '${view.name}': feature '${f.name}' takes ${a.function} of column '${a.column}', which is ${t}${numericFn ? ', not a number' : `, not ${f.element}`}.`,
          {
            where: { ...where, column: a.column, feature: f.name },
            hint: numericFn
              ? `Aggregate a numeric column, or cast it in derived: { ${a.column}_num: 'CAST(${a.column} AS DOUBLE)' }.`
              : `Declare type: '${t.toLowerCase()}'-compatible, or cast the column in derived.`,
          },
        );
      }
    }
    if (a.filter) {
      try {
        const cols = await describe(
          conn,
          `(SELECT (${a.filter}) AS __frec_f FROM (SELECT *${derivedSel.length ? `, ${derivedSel.join(', ')}` : ''} FROM ${shape.from}) LIMIT 0)`,
        );
        if (cols.get('__frec_f') !== 'BOOLEAN') throw new Error(`the filter is ${cols.get('__frec_f')}, not BOOLEAN`);
      } catch (err) {
        throw new DefinitionError(
          `Aggregation view '${view.name}': the filter of feature '${f.name}' (${a.filter}) is not a valid boolean SQL expression: ${firstLine(err)}`,
          {
            where: { ...where, feature: f.name },
            hint: 'Write a condition over the source and derived columns, e.g. rating >= 4.',
            cause: err,
          },
          ErrorCode.INVALID_DEFINITION,
        );
      }
    }
  }
  const ts = shape.columns.get(src.timestampField)!;
  if (!/TIMESTAMP|DATE|VARCHAR/i.test(ts)) {
    throw new SourceSchemaMismatchError(
      `Source '${src.name}' of aggregation view '${view.name}': timestamp field '${src.timestampField}' is ${ts}, not a timestamp.`,
      { where: { ...where, column: src.timestampField }, hint: 'Store event times as TIMESTAMP (or ISO strings).' },
    );
  }
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
}

/** Events whose time is null or out of range: a count and an example, so materialize can refuse them with a coded error. */
export async function countBadTimes(conn: DuckDBConnection, view: FeatureViewSpec, shape: EventShape): Promise<{ nulls: number }> {
  const src = batchSourceOf(view);
  const ts = asUtcTimestamp(ident(src.timestampField), shape.columns.get(src.timestampField) ?? 'TIMESTAMP');
  const [row] = await queryRows(conn, `SELECT count(*) FILTER (WHERE ${ts} IS NULL) AS nulls FROM ${shape.from}`);
  return { nulls: Number(row?.nulls ?? 0) };
}
