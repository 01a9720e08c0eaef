import { z } from 'zod';

/** `registry:` for a registry kept in a local JSON file (a plain path). */
export const localRegistryConfigSchema = z
  .object({
    type: z.literal('local'),
    /** The file, relative to the repo folder unless absolute. */
    path: z.string().min(1),
    cache_ttl_seconds: z.number().nonnegative().default(5),
  })
  .strict();
/** A parsed local registry section. */
export type LocalRegistryConfig = z.infer<typeof localRegistryConfigSchema>;
