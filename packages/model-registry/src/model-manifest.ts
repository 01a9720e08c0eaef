import { z } from 'zod';

/** Lifecycle stages of a model version. Only one version per model is in `production` at a time. */
export const MODEL_STAGES = ['candidate', 'production', 'archived'] as const;
export type ModelStage = (typeof MODEL_STAGES)[number];

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
    stageHistory: z.array(z.object({ stage: z.enum(MODEL_STAGES), at: z.string() }).strict()).default([]),
  })
  .strict();
/** Everything the registry knows about one model version (manifest.json). */
export type ModelManifest = z.infer<typeof modelManifestSchema>;
