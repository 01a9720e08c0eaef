import { ErrorCode, NotFoundError, RequestError } from './errors.js';
import { didYouMean } from './names.js';
import type { FeatureService } from './definitions/feature-service.js';
import type { FeatureViewSpec, OnDemandFeatureViewSpec } from './definitions/specs.js';
import type { RegistryData } from './registry/registry-data.js';

/** Which features a request asks for: `view:feature` references, or a feature service (by name or object). */
export type FeatureSelector =
  { features: readonly string[]; featureService?: undefined } | { featureService: string | FeatureService; features?: undefined };

/** A requested batch or stream view, with the features the caller wants and those needed only as transform inputs. */
export interface ResolvedView {
  view: FeatureViewSpec;
  /** Features returned to the caller, in request order. */
  features: string[];
  /** Features read only because an on-demand view needs them. */
  hiddenFeatures: string[];
  /** Name used as the prefix in full feature names (alias or view name). */
  prefix: string;
}

export interface ResolvedOdfv {
  view: OnDemandFeatureViewSpec;
  features: string[];
  prefix: string;
}

/** A request resolved against the registry: the views to read and the output columns in request order. */
export interface ResolvedFeatures {
  views: ResolvedView[];
  odfvs: ResolvedOdfv[];
  /** Output columns in request order: view prefix and feature name. */
  outputs: Array<{ prefix: string; feature: string; odfv: boolean }>;
  featureService?: string;
}

/** Splits 'view:feature' into its parts, with a clear error for anything else. */
export function parseFeatureRef(ref: string): { view: string; feature: string } {
  const i = ref.indexOf(':');
  if (i <= 0 || i === ref.length - 1 || ref.indexOf(':', i + 1) !== -1) {
    throw new RequestError(ErrorCode.INVALID_REQUEST, `Feature reference '${ref}' is not of the form 'view:feature'.`, {
      where: { feature: ref },
      hint: "Write references as 'feature_view_name:feature_name'.",
    });
  }
  return { view: ref.slice(0, i), feature: ref.slice(i + 1) };
}

/** Resolves a feature selector against registry data; unknown views and features list the closest names. */
export function resolveFeatures(data: RegistryData, selector: FeatureSelector): ResolvedFeatures {
  let refs: Array<{ view: string; feature: string; alias?: string }>;
  let featureService: string | undefined;
  if (selector.featureService !== undefined) {
    const name = typeof selector.featureService === 'string' ? selector.featureService : selector.featureService.name;
    const svc = data.featureServices[name];
    if (!svc) {
      throw new NotFoundError(
        ErrorCode.UNKNOWN_FEATURE_SERVICE,
        `Feature service '${name}' is not applied.${didYouMean(name, Object.keys(data.featureServices))}`,
        {
          where: { featureService: name },
          hint: 'Run `frec feature-services list` to see what is applied.',
        },
      );
    }
    featureService = name;
    refs = svc.spec.projections.flatMap((p) =>
      p.features.map((f) => ({ view: p.view, feature: f, ...(p.alias ? { alias: p.alias } : {}) })),
    );
  } else {
    if (!selector.features || selector.features.length === 0) {
      throw new RequestError(ErrorCode.INVALID_REQUEST, 'No features requested.', {
        hint: "Pass features: ['view:feature', ...] or a featureService.",
      });
    }
    refs = selector.features.map(parseFeatureRef);
  }

  const views = new Map<string, ResolvedView>();
  const odfvs = new Map<string, ResolvedOdfv>();
  const outputs: ResolvedFeatures['outputs'] = [];
  const allViewNames = [...Object.keys(data.featureViews), ...Object.keys(data.onDemandFeatureViews)];

  const needView = (name: string, prefix: string): ResolvedView => {
    const key = `${name}\u0000${prefix}`;
    let rv = views.get(key);
    if (!rv) {
      const fv = data.featureViews[name];
      if (!fv) {
        throw new NotFoundError(ErrorCode.UNKNOWN_FEATURE_VIEW, `Feature view '${name}' is not applied.${didYouMean(name, allViewNames)}`, {
          where: { featureView: name },
          hint: 'Run `frec feature-views list` to see what is applied.',
        });
      }
      rv = { view: fv.spec, features: [], hiddenFeatures: [], prefix };
      views.set(key, rv);
    }
    return rv;
  };
  const checkFeature = (view: string, feature: string, known: string[]): void => {
    if (!known.includes(feature)) {
      throw new NotFoundError(
        ErrorCode.UNKNOWN_FEATURE,
        `Feature '${feature}' is not in feature view '${view}'.${didYouMean(feature, known)}`,
        {
          where: { featureView: view, feature },
          hint: `Available: ${known.slice(0, 20).join(', ')}${known.length > 20 ? ', ...' : ''}.`,
        },
      );
    }
  };

  for (const r of refs) {
    const odfv = data.onDemandFeatureViews[r.view];
    const prefix = r.alias ?? r.view;
    if (odfv) {
      checkFeature(
        r.view,
        r.feature,
        odfv.spec.features.map((f) => f.name),
      );
      let ro = odfvs.get(prefix);
      if (!ro) {
        ro = { view: odfv.spec, features: [], prefix };
        odfvs.set(prefix, ro);
        for (const src of odfv.spec.sources) {
          if (src.kind !== 'featureView') continue;
          const rv = needView(src.name, src.name);
          for (const f of src.features) if (!rv.features.includes(f) && !rv.hiddenFeatures.includes(f)) rv.hiddenFeatures.push(f);
        }
      }
      if (!ro.features.includes(r.feature)) ro.features.push(r.feature);
      outputs.push({ prefix, feature: r.feature, odfv: true });
      continue;
    }
    const rv = needView(r.view, prefix);
    checkFeature(
      r.view,
      r.feature,
      rv.view.features.map((f) => f.name),
    );
    if (!rv.features.includes(r.feature)) {
      rv.features.push(r.feature);
      rv.hiddenFeatures = rv.hiddenFeatures.filter((f) => f !== r.feature);
    }
    outputs.push({ prefix, feature: r.feature, odfv: false });
  }
  return { views: [...views.values()], odfvs: [...odfvs.values()], outputs, ...(featureService ? { featureService } : {}) };
}

/**
 * Output column names: `view__feature` with fullFeatureNames, else the bare feature name.
 * Without full names, two columns with one name is an error that says to use them.
 */
export function outputColumnNames(resolved: ResolvedFeatures, fullFeatureNames: boolean): string[] {
  const names = resolved.outputs.map((o) => (fullFeatureNames ? `${o.prefix}__${o.feature}` : o.feature));
  const seen = new Map<string, string>();
  resolved.outputs.forEach((o, i) => {
    const n = names[i]!;
    const prev = seen.get(n);
    if (prev !== undefined && prev !== o.prefix) {
      throw new RequestError(
        ErrorCode.FEATURE_NAME_COLLISION,
        `Feature '${o.feature}' is requested from both '${prev}' and '${o.prefix}'.`,
        {
          where: { feature: o.feature },
          hint: 'Pass fullFeatureNames: true to get view__feature column names.',
        },
      );
    }
    seen.set(n, o.prefix);
  });
  return names;
}
