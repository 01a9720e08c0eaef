import { z } from 'zod';

/** `online_store:` with `type: redis`: a standalone Redis, or a Redis Cluster's seed nodes. */
export const redisOnlineStoreConfigSchema = z
  .object({
    type: z.literal('redis'),
    /** redis://host:port, or comma-separated seeds for a cluster. */
    connection_string: z.string().default('redis://127.0.0.1:6379'),
    cluster: z.boolean().default(false),
    /** Prepended to every key, so several projects or test runs can share one Redis. */
    key_prefix: z.string().default(''),
    connect_timeout_ms: z.number().int().positive().default(1000),
    command_timeout_ms: z.number().int().positive().default(500),
  })
  .strict();
/** The `online_store` section of feature_store.yaml when `type: redis`, defaults filled in. */
export type RedisOnlineStoreConfig = z.infer<typeof redisOnlineStoreConfigSchema>;
/** What a Redis online store section may hold before defaults. */
export type RedisOnlineStoreConfigInput = z.input<typeof redisOnlineStoreConfigSchema>;
