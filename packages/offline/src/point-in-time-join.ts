import { ident } from './sql.js';

/**
 * The point-in-time join, compiled to one DuckDB statement. This module is the spec:
 *
 * For every entity row and every requested view, take the view's row with the same join keys
 * whose event time is at or before the entity row's time and no older than the view's TTL
 * (TTL 0: unlimited). When rows share an event time, the later created time wins (a missing
 * created time loses to any present one). No match gives nulls, never a row from the future.
 * Entity rows keep their order, their count and every column.
 *
 * Every time expression handed in is a timezone-naive UTC TIMESTAMP (see asUtcTimestamp). A time
 * finer than microseconds (TIMESTAMP_NS) also hands in its nanoseconds past that microsecond, and
 * the join then compares (time, nanoseconds): a row after the entity time never matches.
 */

/** The entity rows: a relation with a `__frec_row` ordinal column, plus the columns to return. */
export interface EntityRelation {
  /** A FROM item (table name, subquery or table function) whose rows carry `__frec_row`. */
  from: string;
  /** The entity columns returned, in order. */
  columns: readonly string[];
  /** The entity rows' event time, as an expression over the relation's columns. */
  time: string;
  /** Nanoseconds (0-999) past `time`'s microsecond, for entity times finer than microseconds. */
  timeNanos?: string | undefined;
}

/** One requested view, as the join reads it from its source. */
export interface ViewRead {
  /** The view's name, for the statement's comments. */
  name: string;
  /** A FROM item reading the view's rows (read_parquet over its files). */
  from: string;
  /** Join keys: the entity rows' expression and the source's expression, of one type. */
  keys: ReadonlyArray<{ entity: string; source: string }>;
  /** The row's event time, over the source's columns. */
  eventTime: string;
  /** Nanoseconds (0-999) past `eventTime`'s microsecond, for event times finer than microseconds. */
  eventTimeNanos?: string | undefined;
  /** The row's created time, the tie-break between equal event times; absent when the source has none. */
  createdTime?: string | undefined;
  /** Seconds a row stays valid after its event time; 0 means forever. */
  ttlSeconds: number;
  /** Features: the source expression and the output column name. */
  features: ReadonlyArray<{ source: string; as: string }>;
}

/**
 * How equal event times are broken: 'asof-struct' orders candidates by (event time, created time)
 * inside the ASOF JOIN itself; 'dedupe' first keeps one row per key and event time with a window.
 * Both give the same rows; ADR 0010 records why 'asof-struct' is the default.
 */
export type TieBreakStrategy = 'asof-struct' | 'dedupe';

export interface PointInTimeJoin {
  entity: EntityRelation;
  views: readonly ViewRead[];
  tieBreak?: TieBreakStrategy;
  /** Order of the feature columns after the entity columns (by output name); unlisted ones follow. */
  featureOrder?: readonly string[];
}

const ROW = '__frec_row';
const TS = '__frec_ts';
const NS = '__frec_ns';
const CREATED = '__frec_created';

const keyCol = (v: number, k: number): string => `__frec_k${v}_${k}`;
/** A plain column reference needs no computed copy: the join reads it in place, keeping rows narrow. */
const isColumn = (expr: string): boolean => /^"(?:[^"]|"")*"$/.test(expr);
const entityKey = (view: ViewRead, v: number, k: number): string =>
  isColumn(view.keys[k]!.entity) ? `e.${view.keys[k]!.entity}` : `e.${keyCol(v, k)}`;
const featCol = (v: number, f: number): string => `__frec_f${v}_${f}`;
const viewAlias = (v: number): string => `__frec_v${v}`;

/** One view's candidate rows: keys, event time, created time and features under internal names. */
function viewCte(view: ViewRead, v: number, tieBreak: TieBreakStrategy, nanos: boolean): string {
  const cols = [
    ...view.keys.map((k, i) => `${k.source} AS ${keyCol(v, i)}`),
    `${view.eventTime} AS ${TS}`,
    ...(nanos ? [`${view.eventTimeNanos ?? '0'} AS ${NS}`] : []),
    `${view.createdTime ?? 'NULL::TIMESTAMP'} AS ${CREATED}`,
    ...view.features.map((f, i) => `${f.source} AS ${featCol(v, i)}`),
  ];
  // A row without an event time can never be "at or before" anything.
  let sql = `SELECT ${cols.join(', ')} FROM ${view.from} WHERE ${view.eventTime} IS NOT NULL`;
  if (tieBreak === 'dedupe' && view.createdTime) {
    const part = [...view.keys.map((_, i) => keyCol(v, i)), TS, ...(nanos ? [NS] : [])].join(', ');
    sql += ` QUALIFY row_number() OVER (PARTITION BY ${part} ORDER BY ${CREATED} DESC NULLS LAST) = 1`;
  }
  return `${viewAlias(v)} AS (-- view ${view.name}\n  ${sql})`;
}

/** The ASOF condition: same keys, and the latest candidate at or before the entity time. */
function asofCondition(view: ViewRead, v: number, tieBreak: TieBreakStrategy, entityTime: string, entityNanos?: string): string {
  const a = viewAlias(v);
  const keys = view.keys.map((_, i) => `${entityKey(view, v, i)} = ${a}.${keyCol(v, i)}`);
  // With nanoseconds, times compare as (microsecond, nanoseconds past it) pairs.
  const e = entityNanos ? `'t': ${entityTime}, 'n': ${entityNanos}` : `'t': ${entityTime}`;
  const c = entityNanos ? `'t': ${a}.${TS}, 'n': ${a}.${NS}` : `'t': ${a}.${TS}`;
  const time =
    tieBreak === 'asof-struct' && view.createdTime
      ? // Orders candidates by (event time, created time): an entity time as (t, +inf) finds the latest created at t.
        `{${e}, 'c': 'infinity'::TIMESTAMP} >= {${c}, 'c': coalesce(${a}.${CREATED}, '-infinity'::TIMESTAMP)}`
      : entityNanos
        ? `{${e}} >= {${c}}`
        : `${entityTime} >= ${a}.${TS}`;
  return [...keys, time].join(' AND ');
}

/** A feature's output: the matched value, or null when the match is older than the TTL. */
function featureOutput(view: ViewRead, v: number, f: number, entityTime: string): string {
  const value = `${viewAlias(v)}.${featCol(v, f)}`;
  if (view.ttlSeconds <= 0) return value;
  const micros = Math.round(view.ttlSeconds * 1e6);
  return `CASE WHEN ${viewAlias(v)}.${TS} >= ${entityTime} - to_microseconds(${micros}) THEN ${value} END`;
}

/** Compiles a point-in-time join to one SQL statement whose rows follow the entity rows' order. */
export function compilePointInTimeJoin(join: PointInTimeJoin): string {
  const tieBreak = join.tieBreak ?? 'asof-struct';
  const entityTime = isColumn(join.entity.time) ? `e.${join.entity.time}` : `e.${TS}`;
  const nanos = join.entity.timeNanos !== undefined || join.views.some((v) => v.eventTimeNanos !== undefined);
  const entityNanos = nanos ? `e.${NS}` : undefined;
  const entityCols = [
    '*',
    ...(isColumn(join.entity.time) ? [] : [`${join.entity.time} AS ${TS}`]),
    ...(nanos ? [`${join.entity.timeNanos ?? '0'} AS ${NS}`] : []),
    ...join.views.flatMap((view, v) => view.keys.flatMap((k, i) => (isColumn(k.entity) ? [] : [`${k.entity} AS ${keyCol(v, i)}`]))),
  ];
  const ctes = [
    `e AS (SELECT ${entityCols.join(', ')} FROM ${join.entity.from})`,
    ...join.views.map((view, v) => viewCte(view, v, tieBreak, nanos)),
  ];
  const features = new Map(
    join.views.flatMap((view, v) =>
      view.features.map((f, i) => [f.as, `${featureOutput(view, v, i, entityTime)} AS ${ident(f.as)}`] as const),
    ),
  );
  const order = [
    ...(join.featureOrder ?? []).filter((n) => features.has(n)),
    ...[...features.keys()].filter((n) => !join.featureOrder?.includes(n)),
  ];
  const select = [...join.entity.columns.map((c) => `e.${ident(c)}`), ...order.map((n) => features.get(n)!)];
  const joins = join.views.map(
    (view, v) => `ASOF LEFT JOIN ${viewAlias(v)} ON ${asofCondition(view, v, tieBreak, entityTime, entityNanos)}`,
  );
  return [`WITH ${ctes.join(',\n')}`, `SELECT ${select.join(', ')}`, 'FROM e', ...joins, `ORDER BY e.${ROW}`].join('\n');
}

/** The name of the ordinal column every entity relation carries. */
export const ENTITY_ROW_COLUMN = ROW;
