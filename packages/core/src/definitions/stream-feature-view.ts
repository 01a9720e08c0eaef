import { parseDuration, type Duration } from '../duration.js';
import { DefinitionError, ErrorCode } from '../errors.js';
import { isArrayType, type ScalarType, type ValueType } from '../value-types.js';
import { callSite } from './call-site.js';
import type { Entity } from './entity.js';
import { buildFeatureViewSpec, FeatureView } from './feature-view.js';
import type { Field } from './field.js';
import type { DataSource } from './sources.js';
import type { AggregationSpec, StreamSourceSpec } from './specs.js';

/** One declared aggregation: its spec and the feature it produces (name and derived type). */
export interface Aggregation<N extends string = string, T extends ValueType = ValueType> {
  readonly kind: 'aggregation';
  readonly spec: AggregationSpec;
  readonly output: Field<N, T>;
}

function seconds(d: Duration, what: string): number {
  const s = parseDuration(d);
  if (!Number.isFinite(s) || s <= 0) {
    throw new DefinitionError(`Aggregation ${what} has an invalid duration '${String(d)}'.`, {
      where: { file: callSite() },
      hint: "Use a positive number of seconds or a duration such as '1h', '24h' or '7d'.",
    });
  }
  return s;
}

/** A name suffix for a window, as people say them: 3600 -> '1h', 86400 -> '24h', 604800 -> '7d'. */
function windowSuffix(s: number): string {
  if (s > 86400 && s % 86400 === 0) return `${s / 86400}d`;
  for (const [u, size] of [
    ['h', 3600],
    ['m', 60],
  ] as const)
    if (s % size === 0) return `${s / size}${u}`;
  return `${s}s`;
}

function agg<N extends string, T extends ValueType>(spec: AggregationSpec, dtype: T): Aggregation<N, T> {
  return { kind: 'aggregation', spec, output: { name: spec.name as N, dtype } };
}

/**
 * The last `n` values of an event column, newest first; the feature is an array of the column's type.
 * @example lastN('item_id', 10, { type: Int64, name: 'last_10_items' }) // int64[]
 */
export function lastN<const T extends ScalarType = 'string', const N extends string = string>(
  column: string,
  n: number,
  options: { type?: T; name?: N } = {},
): Aggregation<N, `${T}[]`> {
  const type = (options.type ?? 'string') as T;
  return agg({ kind: 'last_n', name: options.name ?? `last_${n}_${column}`, column, n }, `${type}[]` as `${T}[]`);
}

/**
 * The number of events (or of non-null `column` values) in the sliding window ending at the entity's newest event; int64.
 * @example count({ window: '1h', name: 'clicks_1h' })
 */
export function count<const N extends string = string>(options: { window: Duration; column?: string; name?: N }): Aggregation<N, 'int64'> {
  const w = seconds(options.window, 'count window');
  return agg(
    {
      kind: 'count',
      name: options.name ?? `count_${windowSuffix(w)}`,
      windowSeconds: w,
      ...(options.column ? { column: options.column } : {}),
    },
    'int64',
  );
}

/**
 * The sum of a numeric column over the sliding window ending at the entity's newest event; float64 (0 when empty).
 * @example sum('dwell_seconds', { window: '24h' })
 */
export function sum<const N extends string = string>(column: string, options: { window: Duration; name?: N }): Aggregation<N, 'float64'> {
  const w = seconds(options.window, 'sum window');
  return agg({ kind: 'sum', name: options.name ?? `sum_${column}_${windowSuffix(w)}`, column, windowSeconds: w }, 'float64');
}

/**
 * The mean of a numeric column over the sliding window ending at the entity's newest event; float64 (null when empty).
 * @example mean('rating', { window: '7d' })
 */
export function mean<const N extends string = string>(column: string, options: { window: Duration; name?: N }): Aggregation<N, 'float64'> {
  const w = seconds(options.window, 'mean window');
  return agg({ kind: 'mean', name: options.name ?? `mean_${column}_${windowSuffix(w)}`, column, windowSeconds: w }, 'float64');
}

/**
 * The number of events in the entity's current session (events no more than `gap` apart); int64.
 * @example sessionLength({ gap: '30m' })
 */
export function sessionLength<const N extends string = 'session_length'>(options: { gap: Duration; name?: N }): Aggregation<N, 'int64'> {
  return agg({ kind: 'session_length', name: options.name ?? 'session_length', gapSeconds: seconds(options.gap, 'session gap') }, 'int64');
}

/**
 * Seconds from the first to the last event of the entity's current session (events no more than `gap` apart); float64.
 * @example sessionDuration({ gap: '30m' })
 */
export function sessionDuration<const N extends string = 'session_duration'>(options: {
  gap: Duration;
  name?: N;
}): Aggregation<N, 'float64'> {
  return agg(
    { kind: 'session_duration', name: options.name ?? 'session_duration', gapSeconds: seconds(options.gap, 'session gap') },
    'float64',
  );
}

/** Options of a stream feature view: like a feature view, but the schema is derived from its aggregations. */
export interface StreamFeatureViewOptions<A extends readonly Aggregation[]> {
  name: string;
  entities: readonly Entity[];
  source: DataSource<StreamSourceSpec>;
  aggregations: A;
  ttl?: Duration;
  online?: boolean;
  offline?: boolean;
  description?: string;
  tags?: Record<string, string>;
  owner?: string;
}

/** The fields a list of aggregations produces. */
export type AggregationFields<A extends readonly Aggregation[]> = {
  [K in keyof A]: A[K] extends Aggregation<infer N, infer T> ? Field<N, T> : never;
};

/**
 * Declares a stream feature view: aggregations declared once, computed online by the `frec stream`
 * worker and offline by the DuckDB backfill with the same code.
 * @example
 * const activity = streamFeatureView({
 *   name: 'user_activity', entities: [user], source: interactions, ttl: '7d',
 *   aggregations: [lastN('item_id', 10, { type: Int64, name: 'last_10_items' }), count({ window: '1h' }),
 *     sessionLength({ gap: '30m' }), sessionDuration({ gap: '30m' })],
 * });
 */
export function streamFeatureView<const A extends readonly Aggregation[]>(
  options: StreamFeatureViewOptions<A>,
): FeatureView<AggregationFields<A>> {
  const site = callSite();
  const where = { featureView: options.name, file: site };
  if (!options.source || options.source.spec?.type !== 'stream') {
    throw new DefinitionError(`Stream feature view '${options.name}' needs a stream source.`, {
      where,
      hint: 'Declare the source with streamSource({ topic, ... }).',
    });
  }
  if (!Array.isArray(options.aggregations) || options.aggregations.length === 0) {
    throw new DefinitionError(`Stream feature view '${options.name}' declares no aggregations.`, {
      where,
      hint: 'Pass aggregations: [lastN(...), count(...), sessionLength(...)].',
    });
  }
  for (const a of options.aggregations) {
    if (a?.kind !== 'aggregation') {
      throw new DefinitionError(
        `Stream feature view '${options.name}' has an aggregation not built with lastN/count/sum/mean/sessionLength/sessionDuration.`,
        { where },
      );
    }
    if (a.spec.kind === 'last_n' && !isArrayType(a.output.dtype)) {
      throw new DefinitionError(
        `Aggregation '${a.spec.name}' must produce an array type.`,
        { where: { ...where, feature: a.spec.name } },
        ErrorCode.WRONG_TYPE,
      );
    }
  }
  const gaps = new Set(
    options.aggregations.flatMap((a) =>
      a.spec.kind === 'session_length' || a.spec.kind === 'session_duration' ? [a.spec.gapSeconds] : [],
    ),
  );
  if (gaps.size > 1) {
    throw new DefinitionError(`Stream feature view '${options.name}' declares sessions with different gaps (${[...gaps].join('s, ')}s).`, {
      where,
      hint: 'Use one inactivity gap per view; declare a second view for another gap.',
    });
  }
  const schema = options.aggregations.map((a) => a.output) as unknown as AggregationFields<A>;
  const spec = buildFeatureViewSpec({ ...options, schema }, site, {
    kind: 'stream',
    aggregations: options.aggregations.map((a) => a.spec),
  });
  return new FeatureView(spec, schema, options.entities, site);
}
