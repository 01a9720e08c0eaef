import { describeTiling } from '../aggregations/tiles.js';
import type { FeatureViewSpec, FieldSpec } from '../definitions/specs.js';
import path from 'node:path';
import {
  OBJECT_KINDS,
  REGISTRY_HISTORY_CHANGES_LIMIT,
  REGISTRY_HISTORY_LIMIT,
  type ObjectKind,
  type RegistryData,
} from '../registry/registry-data.js';
import type { RepoContents } from './repo-contents.js';

/** What a plan does to one object. */
export type ChangeType = 'add' | 'change' | 'remove';

/** One line of a plan. */
export interface PlannedChange {
  type: ChangeType;
  kind: ObjectKind;
  name: string;
  /** What changed, field by field, for 'change'. */
  details: string[];
  /** Why this change can break a model or a reader already in production; empty when safe. */
  breaking: string[];
}

/** The difference between a repo's definitions and the registry. */
export interface Plan {
  changes: PlannedChange[];
  unchanged: number;
  hasBreakingChanges: boolean;
  /** Registry generation the plan was computed against; `apply` with this base refuses if the registry moved. */
  baseGeneration: number;
}

/** JSON with object keys sorted, so equal specs give equal text. */
export function stableStringify(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v as object)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableStringify((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

const KIND_OF: Record<ObjectKind, keyof RepoContents> = {
  entities: 'entities',
  dataSources: 'dataSources',
  featureViews: 'featureViews',
  onDemandFeatureViews: 'onDemandFeatureViews',
  featureServices: 'featureServices',
};

function fieldDiff(kind: string, before: FieldSpec[], after: FieldSpec[], served: boolean, breaking: string[], details: string[]): void {
  const b = new Map(before.map((f) => [f.name, f]));
  const a = new Map(after.map((f) => [f.name, f]));
  for (const [name, f] of a) {
    const old = b.get(name);
    if (!old) details.push(`${kind} '${name}' added (${f.dtype})`);
    else if (old.dtype !== f.dtype) {
      details.push(`${kind} '${name}' type ${old.dtype} -> ${f.dtype}`);
      if (served) breaking.push(`type of served ${kind} '${name}' changes from ${old.dtype} to ${f.dtype}`);
    }
  }
  for (const name of b.keys()) {
    if (!a.has(name)) {
      details.push(`${kind} '${name}' removed`);
      if (served) breaking.push(`served ${kind} '${name}' is removed`);
    }
  }
}

function describeTopLevel(before: Record<string, unknown>, after: Record<string, unknown>, skip: string[]): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  const out: string[] = [];
  for (const k of keys) {
    if (skip.includes(k)) continue;
    if (stableStringify(before[k]) !== stableStringify(after[k]))
      out.push(`${k}: ${stableStringify(before[k])} -> ${stableStringify(after[k])}`);
  }
  return out;
}

function viewChange(
  before: FeatureViewSpec,
  after: FeatureViewSpec,
  servedFeatures: Set<string>,
): { details: string[]; breaking: string[] } {
  const details: string[] = [];
  const breaking: string[] = [];
  const served = after.online || servedFeatures.size > 0;
  if (
    stableStringify(before.entities) !== stableStringify(after.entities) ||
    stableStringify(before.entityColumns) !== stableStringify(after.entityColumns)
  ) {
    details.push(
      `entities ${stableStringify(before.entityColumns.map((c) => `${c.name}:${c.dtype}`))} -> ${stableStringify(after.entityColumns.map((c) => `${c.name}:${c.dtype}`))}`,
    );
    breaking.push('entity (join keys or their types) changes: stored online rows are keyed differently');
  }
  fieldDiff('feature', before.features, after.features, served, breaking, details);
  details.push(...describeTopLevel(before, after, ['features', 'entities', 'entityColumns', 'tiling']));
  if (stableStringify(before.tiling) !== stableStringify(after.tiling)) {
    const was = new Set(describeTiling(before));
    const now = describeTiling(after);
    details.push(...now.filter((l) => !was.has(l)).map((l) => `+ ${l}`), ...[...was].filter((l) => !now.includes(l)).map((l) => `- ${l}`));
    if (served && before.tiling && after.tiling && before.tiling.tileSeconds !== after.tiling.tileSeconds)
      breaking.push('the tile size changes: the stored tiles no longer fit; materialize the view again from its events');
  }
  return { details, breaking };
}

/** Computes what `apply` would change, flagging breaking changes (type change of a served feature, entity change). */
export function computePlan(repo: RepoContents, registry: RegistryData): Plan {
  const changes: PlannedChange[] = [];
  let unchanged = 0;
  const servedByService = new Map<string, Set<string>>();
  for (const s of Object.values(registry.featureServices)) {
    for (const p of s.spec.projections) {
      const set = servedByService.get(p.view) ?? new Set<string>();
      p.features.forEach((f) => set.add(f));
      servedByService.set(p.view, set);
    }
  }
  for (const kind of OBJECT_KINDS) {
    const desired = repo[KIND_OF[kind]] as Map<string, Record<string, unknown>>;
    const current = registry[kind] as Record<string, { spec: Record<string, unknown> }>;
    for (const [name, spec] of desired) {
      const cur = current[name];
      if (!cur) {
        changes.push({
          type: 'add',
          kind,
          name,
          details: kind === 'featureViews' ? describeTiling(spec as FeatureViewSpec) : [],
          breaking: [],
        });
      } else if (stableStringify(cur.spec) !== stableStringify(spec)) {
        let d: { details: string[]; breaking: string[] };
        if (kind === 'featureViews') {
          d = viewChange(cur.spec as FeatureViewSpec, spec as FeatureViewSpec, servedByService.get(name) ?? new Set());
        } else if (kind === 'onDemandFeatureViews') {
          const details: string[] = [];
          const breaking: string[] = [];
          fieldDiff(
            'feature',
            (cur.spec as { features: FieldSpec[] }).features,
            (spec as { features: FieldSpec[] }).features,
            true,
            breaking,
            details,
          );
          details.push(...describeTopLevel(cur.spec, spec, ['features']));
          d = { details, breaking };
        } else if (kind === 'entities') {
          const details = describeTopLevel(cur.spec, spec, []);
          const breaking =
            cur.spec.valueType !== spec.valueType || cur.spec.joinKey !== spec.joinKey ? ['entity join key or type changes'] : [];
          d = { details, breaking };
        } else {
          d = { details: describeTopLevel(cur.spec, spec, []), breaking: [] };
        }
        changes.push({ type: 'change', kind, name, ...d });
      } else {
        unchanged++;
      }
    }
    for (const name of Object.keys(current)) {
      if (!desired.has(name)) {
        const breaking =
          kind === 'featureViews' && servedByService.has(name) && !repo.featureServices.size ? ['a feature service reads this view'] : [];
        changes.push({ type: 'remove', kind, name, details: [], breaking });
      }
    }
  }
  return { changes, unchanged, hasBreakingChanges: changes.some((c) => c.breaking.length > 0), baseGeneration: registry.generation };
}

/** A declaration site (`/abs/file.ts:12`) relative to the repo folder when it lies inside it. */
function relativeSite(site: string, base: string | undefined): string {
  if (!base) return site;
  const m = /^(.*):(\d+)$/.exec(site);
  if (!m) return site;
  const rel = path.relative(base, m[1]!);
  return rel.startsWith('..') || path.isAbsolute(rel) ? site : `${rel.split(path.sep).join('/')}:${m[2]}`;
}

/**
 * The registry data after applying the repo: created times kept, versions bumped for changed objects,
 * declaration sites (relative to `options.repoPath`) recorded beside each spec.
 */
export function applyPlanToRegistry(
  repo: RepoContents,
  registry: RegistryData,
  now = new Date(),
  options: { repoPath?: string } = {},
): RegistryData {
  const ts = now.toISOString();
  const next: RegistryData = {
    ...registry,
    generation: registry.generation + 1,
    lastUpdated: ts,
    entities: {},
    dataSources: {},
    featureViews: {},
    onDemandFeatureViews: {},
    featureServices: {},
    materialization: { ...registry.materialization },
    history: [...(registry.history ?? [])],
  };
  for (const kind of OBJECT_KINDS) {
    const desired = repo[KIND_OF[kind]] as Map<string, unknown>;
    const current = registry[kind] as Record<
      string,
      { spec: unknown; createdAt: string; updatedAt: string; version: number; site?: string }
    >;
    const target = next[kind] as Record<string, unknown>;
    for (const [name, spec] of desired) {
      const cur = current[name];
      const declared = repo.sites?.get(`${kind}:${name}`);
      const site = declared ? relativeSite(declared, options.repoPath) : cur?.site;
      const entry =
        cur && stableStringify(cur.spec) === stableStringify(spec)
          ? { ...cur }
          : { spec, createdAt: cur?.createdAt ?? ts, updatedAt: ts, version: (cur?.version ?? 0) + 1 };
      if (site) entry.site = site;
      target[name] = entry;
    }
  }
  for (const v of Object.keys(next.materialization)) if (!repo.featureViews.has(v)) delete next.materialization[v];
  return next;
}

/** Whether applying would move any object's recorded declaration site (a commit is due even with no spec change). */
export function sitesDiffer(before: RegistryData, after: RegistryData): boolean {
  for (const kind of OBJECT_KINDS) {
    const a = after[kind] as Record<string, { site?: string }>;
    const b = before[kind] as Record<string, { site?: string }>;
    for (const name of Object.keys(a)) if (a[name]!.site !== b[name]?.site) return true;
  }
  return false;
}

/** Appends one apply to the registry's history (keeping the latest REGISTRY_HISTORY_LIMIT). */
export function recordApply(data: RegistryData, plan: Plan, user: string, at: Date): RegistryData {
  const changes = plan.changes.slice(0, REGISTRY_HISTORY_CHANGES_LIMIT).map((c) => ({ ...c }));
  const history = [
    ...(data.history ?? []),
    {
      generation: data.generation,
      appliedAt: at.toISOString(),
      user,
      changes,
      omittedChanges: plan.changes.length - changes.length,
      unchanged: plan.unchanged,
    },
  ];
  return { ...data, history: history.slice(-REGISTRY_HISTORY_LIMIT) };
}
