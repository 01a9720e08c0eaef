import { parseDuration, type Duration } from '../duration.js';
import { DefinitionError, ErrorCode } from '../errors.js';
import { callSite } from '../definitions/call-site.js';
import type { Entity } from '../definitions/entity.js';
import { buildFeatureViewSpec, FeatureView } from '../definitions/feature-view.js';
import type { Field } from '../definitions/field.js';
import type { DataSource } from '../definitions/sources.js';
import {
  TILE_FUNCTIONS,
  type FileSourceSpec,
  type StreamSourceSpec,
  type TiledAggregationSpec,
  type TileFunction,
  type TilingSpec,
} from '../definitions/specs.js';
import { isValidName } from '../names.js';
import type { ScalarType, ValueType } from '../value-types.js';

/** The function names as a user writes them. */
export type AggregationFunction = 'count' | 'sum' | 'mean' | 'min' | 'max' | 'last' | 'lastN' | 'countDistinct';

/** What every declared aggregation has. */
export interface AggregationDeclarationBase {
  /** Source or derived column; omit for `count` of rows. */
  readonly column?: string;
  /** Windows ending at the read time, each a multiple of the view's tile size, e.g. ['1h', '7d', '30d']. */
  readonly windows: readonly string[];
  /** The features' name prefix (default `<column>_<function>`, or `count` for a count of rows); the window is appended. */
  readonly name?: string;
  /** SQL boolean expression over source and derived columns: only rows where it holds are aggregated. */
  readonly filter?: string;
  /** lastN: how many values (default 10). */
  readonly n?: number;
  /** min, max, last, lastN: the value type (default float64; lastN: string). */
  readonly type?: ScalarType;
}

/**
 * One declared aggregation: a function of a column over one or more windows, each a feature.
 * `approximate: true` is allowed only on countDistinct: a HyperLogLog sketch per tile instead of
 * the distinct values (docs/aggregations.md: 4096 registers, standard error 1.6%).
 */
export type AggregationDeclaration =
  | (AggregationDeclarationBase & { readonly function: Exclude<AggregationFunction, 'countDistinct'>; readonly approximate?: never })
  | (AggregationDeclarationBase & { readonly function: 'countDistinct'; readonly approximate?: boolean });

const FN: Record<AggregationFunction, TileFunction> = {
  count: 'count',
  sum: 'sum',
  mean: 'mean',
  min: 'min',
  max: 'max',
  last: 'last',
  lastN: 'last_n',
  countDistinct: 'count_distinct',
};

type SnakeFn<F extends AggregationFunction> = F extends 'lastN' ? 'last_n' : F extends 'countDistinct' ? 'count_distinct' : F;
type PrefixOf<A> = A extends { name: infer P extends string }
  ? P
  : A extends { column: infer C extends string; function: 'countDistinct'; approximate: true }
    ? `${C}_count_distinct_approx`
    : A extends { column: infer C extends string; function: infer F extends AggregationFunction }
      ? `${C}_${SnakeFn<F>}`
      : A extends { function: infer F extends AggregationFunction }
        ? SnakeFn<F>
        : string;
type TypeOfAgg<A> = A extends { function: 'count' | 'countDistinct' }
  ? 'int64'
  : A extends { function: 'sum' | 'mean' }
    ? 'float64'
    : A extends { function: 'lastN' }
      ? A extends { type: infer T extends ScalarType }
        ? `${T}[]`
        : 'string[]'
      : A extends { type: infer T extends ScalarType }
        ? T
        : 'float64';
type FieldsOf<A> = A extends { windows: ReadonlyArray<infer W extends string> } ? Field<`${PrefixOf<A>}_${W}`, TypeOfAgg<A>> : never;
/** The features an aggregation view declares: one per aggregation and window, named `<prefix>_<window>`. */
export type AggregationViewFields<A extends readonly AggregationDeclaration[]> = ReadonlyArray<FieldsOf<A[number]>>;

/** Options of `aggregationFeatureView`. */
export interface AggregationFeatureViewOptions<A extends readonly AggregationDeclaration[]> {
  name: string;
  entities: readonly Entity[];
  /** The events: a file source, or a stream source (whose batch source holds the same events) for freshness. */
  source: DataSource<FileSourceSpec | StreamSourceSpec>;
  /** The tile size: windows are multiples of it; a window's start is snapped to it (docs/aggregations.md). */
  tileSize: Duration;
  aggregations: A;
  /** Row-level derived columns: name to a SQL expression over the source's columns, usable as a column or in a filter. */
  derived?: Record<string, string>;
  /** Stream path: events older than the entity's newest by more than this are dropped and counted (default: none dropped). */
  allowedLateness?: Duration;
  /** How long the source keeps events; a longer window is an error. */
  retention?: Duration;
  ttl?: Duration;
  online?: boolean;
  offline?: boolean;
  description?: string;
  tags?: Record<string, string>;
  owner?: string;
}

function seconds(d: Duration, what: string, where: Record<string, string | undefined>, allowZero = false): number {
  const s = parseDuration(d);
  if (!Number.isFinite(s) || s < 0 || (!allowZero && s === 0)) {
    throw new DefinitionError(
      `Aggregation view '${where.featureView}': ${what} '${String(d)}' is not a valid duration.`,
      { where, hint: "Use a positive duration such as '1h', '7d' or '30d'." },
      ErrorCode.INVALID_DEFINITION,
    );
  }
  return s;
}

function outputType(a: AggregationDeclaration): ValueType {
  switch (a.function) {
    case 'count':
    case 'countDistinct':
      return 'int64';
    case 'sum':
    case 'mean':
      return 'float64';
    case 'lastN':
      return `${a.type ?? 'string'}[]`;
    default:
      return a.type ?? 'float64';
  }
}

/**
 * Declares an aggregation feature view: windowed aggregates of an event source, computed by frec
 * as tiles (batch: `frec materialize`; stream: `frec stream`), evaluated at the request time online
 * and at each entity row's time offline (docs/aggregations.md).
 * @example
 * const userStats = aggregationFeatureView({
 *   name: 'user_stats', entities: [user], source: ratings, tileSize: '1h',
 *   aggregations: [
 *     { function: 'count', windows: ['7d', '30d'] },
 *     { column: 'rating', function: 'mean', windows: ['7d', '30d'] },
 *   ],
 * }); // features count_7d, count_30d, rating_mean_7d, rating_mean_30d
 */
export function aggregationFeatureView<const A extends readonly AggregationDeclaration[]>(
  options: AggregationFeatureViewOptions<A>,
): FeatureView<AggregationViewFields<A>> {
  const site = callSite();
  const where = { featureView: options.name, file: site };
  const type = options.source?.spec?.type;
  if (type !== 'file' && type !== 'stream') {
    throw new DefinitionError(`Aggregation view '${options.name}' needs a file or stream source of events.`, {
      where,
      hint: 'Pass source: fileSource({...}) or streamSource({...}).',
    });
  }
  if (!Array.isArray(options.aggregations) || options.aggregations.length === 0) {
    throw new DefinitionError(`Aggregation view '${options.name}' declares no aggregations.`, {
      where,
      hint: "Pass aggregations: [{ column: 'rating', function: 'mean', windows: ['7d'] }].",
    });
  }
  const tileSeconds = seconds(options.tileSize, 'tileSize', where);
  const retentionSeconds = options.retention === undefined ? undefined : seconds(options.retention, 'retention', where);
  const derived = options.derived ?? {};
  for (const [name, expr] of Object.entries(derived)) {
    if (!isValidName(name) || typeof expr !== 'string' || expr.trim() === '') {
      throw new DefinitionError(
        `Aggregation view '${options.name}': derived column '${name}' needs a valid name and a SQL expression.`,
        { where: { ...where, feature: name }, hint: "Write derived: { liked: 'rating >= 4' }." },
        ErrorCode.INVALID_DEFINITION,
      );
    }
  }
  const aggs: TiledAggregationSpec[] = [];
  const schema: Array<Field<string, ValueType>> = [];
  for (const a of options.aggregations) {
    const declared = FN[a?.function as AggregationFunction];
    if (!declared || !(TILE_FUNCTIONS as readonly string[]).includes(declared)) {
      throw new DefinitionError(
        `Aggregation view '${options.name}' has an aggregation with unknown function '${String(a?.function)}'.`,
        { where, hint: `Use one of ${Object.keys(FN).join(', ')}.` },
        ErrorCode.INVALID_DEFINITION,
      );
    }
    const approximate: unknown = a.approximate;
    if (approximate !== undefined && (typeof approximate !== 'boolean' || (approximate && a.function !== 'countDistinct'))) {
      throw new DefinitionError(
        `Aggregation view '${options.name}': the ${a.function} of '${a.column ?? '*'}' declares approximate: ${String(approximate)}, which only countDistinct takes (true or false).`,
        {
          where: { ...where, feature: a.name ?? a.column },
          hint: "Remove approximate, or use it as { column: '...', function: 'countDistinct', approximate: true }.",
        },
        ErrorCode.INVALID_DEFINITION,
      );
    }
    const fn: TileFunction = approximate === true ? 'count_distinct_approx' : declared;
    if (fn !== 'count' && !a.column) {
      throw new DefinitionError(
        `Aggregation view '${options.name}': ${a.function} needs a column.`,
        { where, hint: `Add column: '<source column>' to the ${a.function} aggregation.` },
        ErrorCode.INVALID_DEFINITION,
      );
    }
    if (fn === 'last_n' && (a.n === undefined || !Number.isInteger(a.n) || a.n <= 0)) {
      throw new DefinitionError(
        `Aggregation view '${options.name}': lastN of '${a.column}' needs n, a positive integer.`,
        { where, hint: 'Add n: 10.' },
        ErrorCode.INVALID_DEFINITION,
      );
    }
    if (!Array.isArray(a.windows) || a.windows.length === 0) {
      throw new DefinitionError(
        `Aggregation view '${options.name}': the ${a.function} of '${a.column ?? '*'}' declares no windows.`,
        { where, hint: "Add windows: ['1h', '7d']." },
        ErrorCode.INVALID_DEFINITION,
      );
    }
    const prefix = a.name ?? (a.column ? `${a.column}_${fn}` : fn);
    for (const w of a.windows) {
      const name = `${prefix}_${w}`;
      const fwhere = { ...where, feature: name };
      const windowSeconds = seconds(w, `window of '${name}'`, fwhere);
      if (Math.abs(windowSeconds / tileSeconds - Math.round(windowSeconds / tileSeconds)) > 1e-9) {
        throw new DefinitionError(
          `Aggregation view '${options.name}': window ${w} of feature '${name}' is not a multiple of the tile size ${String(options.tileSize)}.`,
          { where: fwhere, hint: `Use a window that is a whole number of tiles, or a tileSize that divides ${w}.` },
          ErrorCode.INVALID_DEFINITION,
        );
      }
      if (retentionSeconds !== undefined && windowSeconds > retentionSeconds) {
        throw new DefinitionError(
          `Aggregation view '${options.name}': window ${w} of feature '${name}' is longer than the source's retention ${String(options.retention)}.`,
          { where: fwhere, hint: 'Shorten the window, or keep the events longer and raise retention.' },
          ErrorCode.INVALID_DEFINITION,
        );
      }
      aggs.push({
        name,
        function: fn,
        ...(a.column ? { column: a.column } : {}),
        windowSeconds,
        ...(a.filter ? { filter: a.filter } : {}),
        ...(fn === 'last_n' ? { n: a.n } : {}),
      });
      schema.push({ name, dtype: outputType(a) });
    }
  }
  const tiling: TilingSpec = {
    tileSeconds,
    ...(options.allowedLateness === undefined
      ? {}
      : { allowedLatenessSeconds: seconds(options.allowedLateness, 'allowedLateness', where, true) }),
    ...(retentionSeconds === undefined ? {} : { retentionSeconds }),
    derived,
    aggregations: aggs,
  };
  const spec = buildFeatureViewSpec({ ...options, schema }, site, { kind: 'aggregation', tiling });
  return new FeatureView(spec, schema as unknown as AggregationViewFields<A>, options.entities, site);
}
