import { DefinitionError } from '../errors.js';
import { callSite } from './call-site.js';
import type { FeatureView, FeatureViewProjection } from './feature-view.js';
import type { OnDemandFeatureView } from './on-demand-feature-view.js';
import { featureServiceSpecSchema, type FeatureServiceSpec, type ProjectionSpec } from './specs.js';
import { parseSpec } from './validate.js';

/** A feature service: the named set of features one model reads, its feature schema. */
export class FeatureService {
  readonly kind = 'featureService' as const;
  constructor(
    readonly spec: FeatureServiceSpec,
    readonly site?: string,
  ) {}
  get name(): string {
    return this.spec.name;
  }
}

type ServiceInput = FeatureView | OnDemandFeatureView | FeatureViewProjection | { kind: 'projection'; spec: ProjectionSpec };

/**
 * Declares a feature service.
 * @example featureService({ name: 'ranker_v1', features: [userStats, itemStats.select(['pop_7d'])] })
 */
export function featureService(options: {
  name: string;
  features: readonly ServiceInput[];
  description?: string;
  tags?: Record<string, string>;
  owner?: string;
}): FeatureService {
  const site = callSite();
  const projections = (options.features ?? []).map((f) => {
    if (f.kind === 'projection') return f.spec;
    if (f.kind === 'featureView' || f.kind === 'onDemandFeatureView') {
      return { view: f.name, features: f.spec.features.map((x) => x.name) };
    }
    throw new DefinitionError(`Feature service '${options.name}' lists something that is not a feature view or projection.`, {
      where: { featureService: options.name, file: site },
    });
  });
  const spec = parseSpec(
    featureServiceSpecSchema,
    { name: options.name, projections, description: options.description ?? '', tags: options.tags ?? {}, owner: options.owner ?? '' },
    'feature service',
    site,
  );
  return new FeatureService(spec, site);
}
