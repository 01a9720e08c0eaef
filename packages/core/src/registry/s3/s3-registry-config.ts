import { z } from 'zod';

/** `registry:` for a registry kept in one S3 object (`path: s3://bucket/key`). */
export const s3RegistryConfigSchema = z
  .object({
    type: z.literal('s3'),
    path: z.string().regex(/^s3:\/\/[^/]+\/.+$/, 'must be s3://bucket/path/to/registry.json'),
    cache_ttl_seconds: z.number().nonnegative().default(5),
    /** S3 endpoint override, for S3-compatible servers (MinIO, moto); implies path-style addressing. */
    s3_endpoint: z.string().optional(),
    s3_region: z.string().optional(),
  })
  .strict();
/** A parsed S3 registry section. */
export type S3RegistryConfig = z.infer<typeof s3RegistryConfigSchema>;
