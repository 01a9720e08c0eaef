import { z } from 'zod';

/**
 * Lifecycle stages of a model version. Only one version per model is in `production` at a time;
 * `rejected` is a candidate the shadow gate refused or a canary rolled back, never served again.
 */
export const MODEL_STAGES = ['candidate', 'production', 'archived', 'rejected'] as const;
export type ModelStage = (typeof MODEL_STAGES)[number];

/** What happened to a version, as its history records it (the stage says where it ended up). */
export const MODEL_EVENTS = ['registered', 'promoted', 'archived', 'refused', 'rolled_back', 'restored', 'canary'] as const;
/** One of the history's event kinds. */
export type ModelEvent = (typeof MODEL_EVENTS)[number];

export const stageHistoryEntrySchema = z
  .object({
    stage: z.enum(MODEL_STAGES),
    at: z.string(),
    /** Absent in manifests written before events were recorded. */
    event: z.enum(MODEL_EVENTS).optional(),
    /** Why: the gate's failed checks, the canary's breach, who promoted. */
    reason: z.string().optional(),
  })
  .strict();
/** One entry of a version's history: its stage after the event, when, what and why. */
export type StageHistoryEntry = z.infer<typeof stageHistoryEntrySchema>;

export const artifactSchema = z
  .object({ path: z.string().min(1), sha256: z.string().regex(/^[0-9a-f]{64}$/), bytes: z.number().int().nonnegative() })
  .strict();
/** One stored file of a model version, with its checksum. */
export type ModelArtifact = z.infer<typeof artifactSchema>;

export const modelManifestSchema = z
  .object({
    formatVersion: z.literal(1),
    name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]*$/),
    version: z.number().int().positive(),
    createdAt: z.string(),
    stage: z.enum(MODEL_STAGES),
    /** The feature service the model reads; promotion checks it exists in the feature registry. */
    featureService: z.string().min(1),
    /** Time range of the training events (ISO 8601). */
    trainingData: z.object({ start: z.string(), end: z.string(), rows: z.number().int().nonnegative().optional() }).strict(),
    /** Headline metrics, e.g. { 'per_user_temporal/ndcg20': 0.12 }. */
    metrics: z.record(z.string(), z.number()).default({}),
    /** The full evaluation table the metrics came from. */
    evaluation: z.array(z.record(z.string(), z.union([z.string(), z.number()]))).default([]),
    artifacts: z.array(artifactSchema).default([]),
    params: z.record(z.string(), z.unknown()).default({}),
    description: z.string().default(''),
    stageHistory: z.array(stageHistoryEntrySchema).default([]),
  })
  .strict();
/** Everything the registry knows about one model version (manifest.json). */
export type ModelManifest = z.infer<typeof modelManifestSchema>;
