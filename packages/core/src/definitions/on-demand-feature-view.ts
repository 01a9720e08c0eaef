import { DefinitionError, ErrorCode } from '../errors.js';
import { callSite } from './call-site.js';
import { fieldToSpec, type Field } from './field.js';
import type { FeatureView, FeatureViewProjection } from './feature-view.js';
import { RequestSource } from './sources.js';
import { onDemandFeatureViewSpecSchema, type OnDemandFeatureViewSpec, type ProjectionSpec } from './specs.js';
import { parseSpec } from './validate.js';

/** One row of inputs to a transform: feature values by name, plus request fields. */
export type TransformInput = Record<string, unknown>;
/** A transform's output row: one value per declared output feature. */
export type TransformOutput = Record<string, unknown>;
/**
 * A row transform. It must be self-contained (no closures over module variables), because a
 * feature server rebuilds it from the registry's copy of its source text.
 */
export type Transform = (row: TransformInput) => TransformOutput;

/** An on-demand view: features computed at request time (and, identically, at training time) from other features and request data. */
export class OnDemandFeatureView<S extends readonly Field[] = readonly Field[]> {
  readonly kind = 'onDemandFeatureView' as const;
  constructor(
    readonly spec: OnDemandFeatureViewSpec,
    readonly schema: S,
    readonly transform: Transform,
    readonly site?: string,
  ) {}
  get name(): string {
    return this.spec.name;
  }
  /** Projects a subset of outputs, for a feature service. */
  select<const K extends S[number]['name']>(names: readonly K[]): { kind: 'projection'; spec: ProjectionSpec } {
    return { kind: 'projection', spec: { view: this.name, features: [...names] } };
  }
}

/** Options of `onDemandFeatureView()`. */
export interface OnDemandFeatureViewOptions<S extends readonly Field[]> {
  name: string;
  /** Feature views (or projections of them) and request sources whose values the transform reads. */
  sources: ReadonlyArray<FeatureView | FeatureViewProjection | RequestSource>;
  schema: S;
  transform: Transform;
  description?: string;
  tags?: Record<string, string>;
  owner?: string;
}

/**
 * Declares an on-demand feature view.
 * @example
 * onDemandFeatureView({ name: 'rating_ctx', sources: [userStats, ctx], schema: [field('is_weekend', Bool)],
 *   transform: (r) => ({ is_weekend: r.day_of_week === 0 || r.day_of_week === 6 }) })
 */
export function onDemandFeatureView<const S extends readonly Field[]>(options: OnDemandFeatureViewOptions<S>): OnDemandFeatureView<S> {
  const site = callSite();
  if (typeof options.transform !== 'function') {
    throw new DefinitionError(`On-demand feature view '${options.name}' needs a transform function.`, {
      where: { featureView: options.name, file: site },
    });
  }
  const sources = (options.sources ?? []).map((s) => {
    if (s instanceof RequestSource) return { kind: 'request' as const, name: s.name };
    if ((s as FeatureViewProjection).kind === 'projection') {
      const p = (s as FeatureViewProjection).spec;
      return { kind: 'featureView' as const, name: p.view, features: p.features };
    }
    if ((s as FeatureView).kind === 'featureView') {
      const fv = s as FeatureView;
      return { kind: 'featureView' as const, name: fv.name, features: fv.spec.features.map((f) => f.name) };
    }
    throw new DefinitionError(
      `On-demand feature view '${options.name}' has a source that is neither a feature view nor a request source.`,
      {
        where: { featureView: options.name, file: site },
      },
      ErrorCode.UNKNOWN_SOURCE,
    );
  });
  const requestSources = options.sources.filter((s): s is RequestSource => s instanceof RequestSource).map((s) => s.spec);
  const spec = parseSpec(
    onDemandFeatureViewSpecSchema,
    {
      name: options.name,
      sources,
      requestSources,
      features: options.schema.map(fieldToSpec),
      transformSource: options.transform.toString(),
      description: options.description ?? '',
      tags: options.tags ?? {},
      owner: options.owner ?? '',
    },
    'on-demand feature view',
    site,
  );
  return new OnDemandFeatureView(spec, options.schema, options.transform, site);
}
