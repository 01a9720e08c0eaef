import { z } from 'zod';

/** Format tag of the manifest; bumped on incompatible layout changes. */
export const ANN_MANIFEST_FORMAT = 'frec-ann-index/1';

/** One data file of a saved index with its checksum. */
export const annFileSchema = z.object({
  name: z.string(),
  bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

/** manifest.json of a saved index version: what it is, and a sha256 for every file it needs. */
export const annManifestSchema = z.object({
  format: z.literal(ANN_MANIFEST_FORMAT),
  version: z.string(),
  /** Monotonic save order, so "previous" does not depend on version naming. */
  sequence: z.number().int().positive(),
  kind: z.enum(['exact', 'hnsw']),
  metric: z.enum(['cosine', 'ip']),
  dim: z.number().int().positive(),
  count: z.number().int().nonnegative(),
  createdAt: z.string(),
  settings: z.record(z.number()),
  /** Free-form provenance (model version, training range...). */
  metadata: z.record(z.string()).default({}),
  files: z.array(annFileSchema),
});

/** Parsed manifest.json. */
export type AnnManifest = z.infer<typeof annManifestSchema>;
