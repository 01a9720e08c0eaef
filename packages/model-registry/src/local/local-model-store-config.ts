import { z } from 'zod';

/** A model registry in a local folder (`path`, relative to the base folder, or a file:// URL). */
export const localModelStoreConfigSchema = z
  .object({
    type: z.literal('local'),
    path: z.string().min(1, 'must name the registry folder'),
  })
  .strict();
/** A parsed local model store config. */
export type LocalModelStoreConfig = z.infer<typeof localModelStoreConfigSchema>;
