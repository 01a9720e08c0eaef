import { DefinitionError, ErrorCode } from '../errors.js';
import { didYouMean } from '../names.js';
import type { Transform } from '../definitions/on-demand-feature-view.js';
import {
  dataSourceSpecSchema,
  entitySpecSchema,
  featureServiceSpecSchema,
  featureViewSpecSchema,
  onDemandFeatureViewSpecSchema,
  type DataSourceSpec,
  type EntitySpec,
  type FeatureServiceSpec,
  type FeatureViewSpec,
  type OnDemandFeatureViewSpec,
} from '../definitions/specs.js';
import { parseSpec } from '../definitions/validate.js';
import type { Definition, FoundDefinition } from './load-repo.js';
import { stableStringify } from './plan.js';

/** The validated specs a repo declares, ready to diff against the registry and apply. */
export interface RepoContents {
  entities: Map<string, EntitySpec>;
  dataSources: Map<string, DataSourceSpec>;
  featureViews: Map<string, FeatureViewSpec>;
  onDemandFeatureViews: Map<string, OnDemandFeatureViewSpec>;
  featureServices: Map<string, FeatureServiceSpec>;
  /** In-process transforms, so the SDK runs the exact functions rather than their stored text. */
  transforms: Map<string, Transform>;
  /** Where each object is declared (`file:line`), by `<registry kind>:<name>` (e.g. 'featureViews:user_stats'). */
  sites?: Map<string, string>;
}

/** The registry collection each definition kind is stored in. */
const REGISTRY_KIND: Record<Definition['kind'], string> = {
  entity: 'entities',
  dataSource: 'dataSources',
  featureView: 'featureViews',
  onDemandFeatureView: 'onDemandFeatureViews',
  featureService: 'featureServices',
};

function placeOf(d: FoundDefinition | { object: Definition; file?: string; exportName?: string }): string {
  const site = (d.object as { site?: string }).site;
  if (site) return site;
  return 'file' in d && d.file ? `${d.file} (export ${d.exportName})` : '(unknown place)';
}

function sameSpec(a: Definition, b: Definition): boolean {
  return a.kind === b.kind && stableStringify(a.spec) === stableStringify(b.spec);
}

/**
 * Checks the definitions as a whole: one name per object (naming both places when not),
 * entity and view references that resolve, feature services that select existing features.
 */
export function buildRepoContents(
  found: ReadonlyArray<FoundDefinition | { object: Definition; file?: string; exportName?: string }>,
): RepoContents {
  const c: RepoContents = {
    entities: new Map(),
    dataSources: new Map(),
    featureViews: new Map(),
    onDemandFeatureViews: new Map(),
    featureServices: new Map(),
    transforms: new Map(),
    sites: new Map(),
  };
  const seen = new Map<string, { object: Definition; place: string }>();
  const namespaceOf = (d: Definition): string => (d.kind === 'featureView' || d.kind === 'onDemandFeatureView' ? 'featureView' : d.kind);
  for (const d of found) {
    const key = `${namespaceOf(d.object)}:${d.object.name}`;
    const prev = seen.get(key);
    if (prev) {
      // The same declaration reached twice (re-exported, or loaded under two URLs) is not a duplicate.
      if (prev.object === d.object || (placeOf(d) === prev.place && sameSpec(prev.object, d.object))) continue;
      throw new DefinitionError(
        `Two ${d.object.kind === 'entity' ? 'entities' : 'objects'} are named '${d.object.name}': one at ${prev.place} and one at ${placeOf(d)}.`,
        { where: { object: d.object.name, file: placeOf(d) }, hint: 'Rename one of them; names are unique per kind in a project.' },
        ErrorCode.DUPLICATE_NAME,
      );
    }
    seen.set(key, { object: d.object, place: placeOf(d) });
    const o = d.object;
    // Validated again at apply: a spec can be changed after its declaration (it is a plain object).
    const place = placeOf(d);
    const site = (o as { site?: string }).site;
    if (site) c.sites!.set(`${REGISTRY_KIND[o.kind]}:${o.name}`, site);
    switch (o.kind) {
      case 'entity':
        c.entities.set(o.name, parseSpec(entitySpecSchema, o.spec, 'entity', place));
        break;
      case 'dataSource':
        c.dataSources.set(o.name, parseSpec(dataSourceSpecSchema, o.spec, 'data source', place));
        break;
      case 'featureView':
        c.featureViews.set(o.name, parseSpec(featureViewSpecSchema, o.spec, 'feature view', place));
        break;
      case 'onDemandFeatureView':
        c.onDemandFeatureViews.set(o.name, parseSpec(onDemandFeatureViewSpecSchema, o.spec, 'on-demand feature view', place));
        c.transforms.set(o.name, o.transform);
        break;
      case 'featureService':
        c.featureServices.set(o.name, parseSpec(featureServiceSpecSchema, o.spec, 'feature service', place));
        break;
    }
  }
  // Sources used by views are part of the repo even when not exported on their own.
  for (const fv of c.featureViews.values()) {
    if (!c.dataSources.has(fv.source.name)) c.dataSources.set(fv.source.name, fv.source);
  }
  for (const odfv of c.onDemandFeatureViews.values()) {
    for (const rs of odfv.requestSources) if (!c.dataSources.has(rs.name)) c.dataSources.set(rs.name, rs);
  }
  validateReferences(c, seen);
  return c;
}

function validateReferences(c: RepoContents, seen: Map<string, { place: string }>): void {
  const placeOfName = (ns: string, name: string): string => seen.get(`${ns}:${name}`)?.place ?? '(unknown place)';
  for (const fv of c.featureViews.values()) {
    for (const e of fv.entities) {
      if (!c.entities.has(e)) {
        throw new DefinitionError(
          `Feature view '${fv.name}' refers to entity '${e}', which is not declared in this repo.${didYouMean(e, c.entities.keys())}`,
          {
            where: { featureView: fv.name, entity: e, file: placeOfName('featureView', fv.name) },
            hint: `Export the entity '${e}' from a definitions file.`,
          },
          ErrorCode.UNKNOWN_ENTITY,
        );
      }
    }
  }
  const viewFeatures = (name: string): string[] | undefined =>
    c.featureViews.get(name)?.features.map((f) => f.name) ?? c.onDemandFeatureViews.get(name)?.features.map((f) => f.name);
  for (const odfv of c.onDemandFeatureViews.values()) {
    for (const s of odfv.sources) {
      if (s.kind !== 'featureView') continue;
      const feats = c.featureViews.get(s.name)?.features.map((f) => f.name);
      if (!feats) {
        throw new DefinitionError(
          `On-demand view '${odfv.name}' reads feature view '${s.name}', which is not declared.${didYouMean(s.name, c.featureViews.keys())}`,
          {
            where: { featureView: odfv.name, file: placeOfName('featureView', odfv.name) },
          },
          ErrorCode.UNKNOWN_FEATURE_VIEW,
        );
      }
    }
  }
  for (const svc of c.featureServices.values()) {
    for (const p of svc.projections) {
      const feats = viewFeatures(p.view);
      if (!feats) {
        const all = [...c.featureViews.keys(), ...c.onDemandFeatureViews.keys()];
        throw new DefinitionError(
          `Feature service '${svc.name}' uses view '${p.view}', which is not declared.${didYouMean(p.view, all)}`,
          {
            where: { featureService: svc.name, file: placeOfName('featureService', svc.name) },
          },
          ErrorCode.UNKNOWN_FEATURE_VIEW,
        );
      }
      for (const f of p.features) {
        if (!feats.includes(f)) {
          throw new DefinitionError(
            `Feature service '${svc.name}' selects '${p.view}:${f}', which does not exist.${didYouMean(f, feats)}`,
            {
              where: { featureService: svc.name, feature: f, file: placeOfName('featureService', svc.name) },
            },
            ErrorCode.UNKNOWN_FEATURE,
          );
        }
      }
    }
  }
}
