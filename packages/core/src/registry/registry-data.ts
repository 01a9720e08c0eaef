import { z } from 'zod';
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

/** The registry format version this build reads and writes; a newer file is refused, never overwritten. */
export const REGISTRY_SCHEMA_VERSION = 1;

const stored = <T extends z.ZodTypeAny>(spec: T) =>
  z.object({ spec, createdAt: z.string(), updatedAt: z.string(), version: z.number().int().positive(), site: z.string().optional() });

/** A stored object: its spec plus when it was first applied, last changed, and how many times it changed. */
export interface Stored<T> {
  spec: T;
  createdAt: string;
  updatedAt: string;
  version: number;
  /**
   * Where the definition is declared, as `file:line` with the file relative to the repo folder
   * (kept beside the spec, not in it, so moving a declaration is not a change of the object).
   */
  site?: string;
}

/** How many applies the registry remembers in `history` (older ones are dropped). */
export const REGISTRY_HISTORY_LIMIT = 50;
/** How many changes one history entry keeps (a first apply of a large repo keeps the count only past this). */
export const REGISTRY_HISTORY_CHANGES_LIMIT = 500;

const applyRecordSchema = z.object({
  generation: z.number().int().positive(),
  appliedAt: z.string(),
  /** The OS user that ran the apply (os.userInfo, else $USER); '' when unknown. */
  user: z.string(),
  changes: z.array(
    z.object({
      type: z.enum(['add', 'change', 'remove']),
      kind: z.string(),
      name: z.string(),
      details: z.array(z.string()).default([]),
      breaking: z.array(z.string()).default([]),
    }),
  ),
  /** Changes left out of `changes` past REGISTRY_HISTORY_CHANGES_LIMIT. */
  omittedChanges: z.number().int().nonnegative().default(0),
  unchanged: z.number().int().nonnegative(),
});
/** One `apply` as the registry remembers it: its generation, when, who, and the plan it applied. */
export type ApplyRecord = z.infer<typeof applyRecordSchema>;

/** Per-view materialization progress, kept in the registry. */
export const materializationStateSchema = z.object({
  /** End of the latest materialized interval (ISO time); the next incremental run starts here. */
  watermark: z.string().nullable(),
  intervals: z.array(z.tuple([z.string(), z.string()])),
  /** Aggregation views: the end of the last run that wrote base rows; incremental runs write recent rows from here (ISO time). */
  tileBase: z.string().optional(),
  /** Aggregation views: recent rows newer than their base rows may exist (set by a recent run, cleared by a compaction); reads skip them otherwise. */
  recentRows: z.boolean().optional(),
});
/** Per-view materialization progress: the watermark and the latest intervals. */
export type MaterializationState = z.infer<typeof materializationStateSchema>;

/** The stored registry document, validated on every read. */
export const registryDataSchema = z.object({
  schemaVersion: z.literal(REGISTRY_SCHEMA_VERSION),
  project: z.string(),
  generation: z.number().int().nonnegative(),
  lastUpdated: z.string(),
  entities: z.record(stored(entitySpecSchema)),
  dataSources: z.record(stored(dataSourceSpecSchema)),
  featureViews: z.record(stored(featureViewSpecSchema)),
  onDemandFeatureViews: z.record(stored(onDemandFeatureViewSpecSchema)),
  featureServices: z.record(stored(featureServiceSpecSchema)),
  materialization: z.record(materializationStateSchema).default({}),
  /** The latest applies, oldest first (a registry written before history was kept has none). */
  history: z.array(applyRecordSchema).default([]),
});

/** Everything the registry holds for one project. */
export interface RegistryData {
  schemaVersion: typeof REGISTRY_SCHEMA_VERSION;
  project: string;
  /** Incremented by every successful write; the optimistic-concurrency check compares it. */
  generation: number;
  lastUpdated: string;
  entities: Record<string, Stored<EntitySpec>>;
  dataSources: Record<string, Stored<DataSourceSpec>>;
  featureViews: Record<string, Stored<FeatureViewSpec>>;
  onDemandFeatureViews: Record<string, Stored<OnDemandFeatureViewSpec>>;
  featureServices: Record<string, Stored<FeatureServiceSpec>>;
  materialization: Record<string, MaterializationState>;
  /** The latest applies, oldest first, at most REGISTRY_HISTORY_LIMIT. */
  history: ApplyRecord[];
}

/** The registry of a project before its first apply (generation 0). */
export function emptyRegistry(project: string): RegistryData {
  return {
    schemaVersion: REGISTRY_SCHEMA_VERSION,
    project,
    generation: 0,
    lastUpdated: new Date(0).toISOString(),
    entities: {},
    dataSources: {},
    featureViews: {},
    onDemandFeatureViews: {},
    featureServices: {},
    materialization: {},
    history: [],
  };
}

/** The object collections of a registry, by kind. */
export const OBJECT_KINDS = ['entities', 'dataSources', 'featureViews', 'onDemandFeatureViews', 'featureServices'] as const;
/** One of the object collections of a registry. */
export type ObjectKind = (typeof OBJECT_KINDS)[number];
