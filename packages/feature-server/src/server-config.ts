import { z } from 'zod';
import { parseConfigSection } from '@frec/core/spi';

/** `feature_server:` in feature_store.yaml, owned by the feature server (core passes it through). */
export const serverConfigSchema = z
  .object({
    host: z.string().default('127.0.0.1'),
    port: z.number().int().nonnegative().default(6566),
    api_keys: z.array(z.string()).default([]),
    max_body_bytes: z.number().int().positive().default(1_048_576),
    max_entities: z.number().int().positive().default(10_000),
  })
  .strict();
/** A parsed `feature_server` section. */
export type ServerConfig = z.infer<typeof serverConfigSchema>;

/** Reads and validates the repo's `feature_server` section; errors point at its line in feature_store.yaml. */
export function serverConfigOf(config: { configPath: string; feature_server?: unknown }): ServerConfig {
  return parseConfigSection(config as { configPath: string } & Record<string, unknown>, ['feature_server'], serverConfigSchema);
}
