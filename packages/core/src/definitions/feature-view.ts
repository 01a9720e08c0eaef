import { parseDuration, type Duration } from '../duration.js';
import { DefinitionError, ErrorCode, NotFoundError } from '../errors.js';
import { didYouMean } from '../names.js';
import { callSite } from './call-site.js';
import type { Entity } from './entity.js';
import { fieldToSpec, type Field } from './field.js';
import type { DataSource } from './sources.js';
import {
  featureViewSpecSchema,
  type AggregationSpec,
  type FeatureViewSpec,
  type FileSourceSpec,
  type ProjectionSpec,
  type PushSourceSpec,
  type StreamSourceSpec,
  type TilingSpec,
} from './specs.js';
import { parseSpec } from './validate.js';

/** A named subset of a view's features, as used in a feature service. */
export interface FeatureViewProjection {
  readonly kind: 'projection';
  readonly spec: ProjectionSpec;
}

/** A feature view: features of one or more entities, read from one source, valid for `ttl` after their event time. */
export class FeatureView<S extends readonly Field[] = readonly Field[]> {
  readonly kind = 'featureView' as const;
  constructor(
    readonly spec: FeatureViewSpec,
    readonly schema: S,
    readonly entityObjects: readonly Entity[],
    readonly site?: string,
  ) {}

  get name(): string {
    return this.spec.name;
  }

  /** The names of this view's features. */
  get featureNames(): Array<S[number]['name']> {
    return this.spec.features.map((f) => f.name);
  }

  /**
   * Projects a subset of features, for a feature service. Unknown names are a compile error
   * when the schema's names are literal types, and a DefinitionError at run time always.
   * @example userStats.select(['mean_rating', 'n_ratings'])
   */
  select<const K extends S[number]['name']>(names: readonly K[], options: { alias?: string } = {}): FeatureViewProjection {
    const known = new Set(this.spec.features.map((f) => f.name));
    for (const n of names) {
      if (!known.has(n)) {
        throw new NotFoundError(ErrorCode.UNKNOWN_FEATURE, `Feature '${n}' is not in feature view '${this.name}'.${didYouMean(n, known)}`, {
          where: { featureView: this.name, feature: n, file: callSite() },
          hint: `Available features: ${[...known].join(', ')}.`,
        });
      }
    }
    return { kind: 'projection', spec: { view: this.name, features: [...names], ...(options.alias ? { alias: options.alias } : {}) } };
  }

  /** Reference to every feature of this view, for `features: ['view:feature', ...]` style lists. */
  ref(feature: S[number]['name']): string {
    return `${this.name}:${feature}`;
  }
}

/** Options of `featureView()` (and, with aggregations, of stream views). */
export interface FeatureViewOptions<S extends readonly Field[]> {
  name: string;
  entities: readonly Entity[];
  schema: S;
  source: DataSource<FileSourceSpec | PushSourceSpec | StreamSourceSpec>;
  /** How long a value stays valid after its event time; 0 or omitted means forever. */
  ttl?: Duration;
  online?: boolean;
  offline?: boolean;
  description?: string;
  tags?: Record<string, string>;
  owner?: string;
}

/** Builds and validates a view spec; shared by batch and stream views. */
export function buildFeatureViewSpec(
  options: FeatureViewOptions<readonly Field[]>,
  site: string | undefined,
  extra: { kind: 'batch' | 'stream' | 'aggregation'; aggregations?: AggregationSpec[]; tiling?: TilingSpec },
): FeatureViewSpec {
  const ttlSeconds = options.ttl === undefined ? 0 : parseDuration(options.ttl);
  const where = { featureView: options.name, file: site };
  if (!Number.isFinite(ttlSeconds) || ttlSeconds < 0) {
    throw new DefinitionError(`Feature view '${options.name}' has an invalid ttl '${String(options.ttl)}'.`, {
      where,
      hint: "Use a non-negative number of seconds or a duration such as '1h' or '7d' (0 means no expiry).",
    });
  }
  if (!options.entities || options.entities.length === 0) {
    throw new DefinitionError(`Feature view '${options.name}' has no entities.`, { where, hint: 'Pass entities: [someEntity].' });
  }
  for (const e of options.entities) {
    if (!e || (e as { kind?: string }).kind !== 'entity') {
      throw new DefinitionError(
        `Feature view '${options.name}' refers to an entity that was not declared with entity().`,
        {
          where,
          hint: 'Import the entity object and pass it in entities.',
        },
        ErrorCode.UNKNOWN_ENTITY,
      );
    }
  }
  if (
    !options.source ||
    (options.source as { kind?: string }).kind !== 'dataSource' ||
    (options.source.spec as { type: string }).type === 'request'
  ) {
    throw new DefinitionError(`Feature view '${options.name}' needs a file, push or stream source.`, { where });
  }
  const featureNames = new Set<string>();
  for (const f of options.schema) {
    if (featureNames.has(f.name)) {
      throw new DefinitionError(
        `Feature view '${options.name}' declares feature '${f.name}' twice.`,
        { where: { ...where, feature: f.name } },
        ErrorCode.DUPLICATE_NAME,
      );
    }
    featureNames.add(f.name);
  }
  const entityColumns = options.entities.map((e) => ({ name: e.joinKey, dtype: e.spec.valueType, description: '', tags: {} }));
  const features = options.schema.map(fieldToSpec).filter((f) => !entityColumns.some((c) => c.name === f.name));
  return parseSpec(
    featureViewSpecSchema,
    {
      kind: extra.kind,
      name: options.name,
      entities: options.entities.map((e) => e.name),
      entityColumns,
      features,
      source: options.source.spec,
      ttlSeconds,
      online: options.online ?? true,
      offline: options.offline ?? true,
      aggregations: extra.aggregations ?? [],
      ...(extra.tiling ? { tiling: extra.tiling } : {}),
      description: options.description ?? '',
      tags: options.tags ?? {},
      owner: options.owner ?? '',
    },
    'feature view',
    site,
  );
}

/**
 * Declares a feature view. Join-key columns listed in `schema` are taken as keys, not features.
 * @example
 * const userStats = featureView({
 *   name: 'user_stats', entities: [user], ttl: '30d', source: ratings,
 *   schema: [field('mean_rating', Float64), field('n_ratings', Int64)],
 * });
 */
export function featureView<const S extends readonly Field[]>(options: FeatureViewOptions<S>): FeatureView<S> {
  const site = callSite();
  return new FeatureView(buildFeatureViewSpec(options, site, { kind: 'batch' }), options.schema, options.entities, site);
}
