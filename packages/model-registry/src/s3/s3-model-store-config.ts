import { z } from 'zod';

/** A model registry under an S3 prefix (`path: s3://bucket/prefix`). */
export const s3ModelStoreConfigSchema = z
  .object({
    type: z.literal('s3'),
    path: z.string().regex(/^s3:\/\/[^/]+(\/.*)?$/, 'must be s3://bucket/prefix'),
    /** S3 endpoint override, for S3-compatible servers (MinIO, moto); default $FREC_S3_ENDPOINT or $AWS_ENDPOINT_URL. */
    endpoint: z.string().optional(),
    /** Default $AWS_REGION, else us-east-1. */
    region: z.string().optional(),
  })
  .strict();
/** A parsed S3 model store config. */
export type S3ModelStoreConfig = z.infer<typeof s3ModelStoreConfigSchema>;
