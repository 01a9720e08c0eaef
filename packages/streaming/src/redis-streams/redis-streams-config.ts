import { z } from 'zod';

/** `brokers: { redis: {...} }`: the Redis Streams broker's settings (all optional). */
export const redisStreamsConfigSchema = z
  .object({
    type: z.literal('redis'),
    /** The Redis holding the streams and the aggregate states; default FREC_STREAM_REDIS_URL, else the online store's Redis. */
    url: z.string().optional(),
    /** Prepended to state keys; default the online store's key_prefix when it is Redis. */
    key_prefix: z.string().optional(),
  })
  .strict();
/** A parsed Redis Streams broker section. */
export type RedisStreamsConfig = z.infer<typeof redisStreamsConfigSchema>;
