import { z } from 'zod';

const name = z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only');

/** `brokers: { nats: {...} }`: the NATS JetStream broker's settings (all optional). */
export const natsJetStreamConfigSchema = z
  .object({
    type: z.literal('nats'),
    /** NATS server URL(s); default FREC_STREAM_NATS_URL, else nats://127.0.0.1:4222. */
    servers: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
    /** One server URL; `frec stream --url` sets it, and it wins over `servers`. */
    url: z.string().min(1).optional(),
    /** The JetStream stream holding every topic of this repo (created when absent). */
    stream: name.default('FREC'),
    /** Subjects are `<subject_prefix>.<topic>[.p<partition>]`; the stream captures `<subject_prefix>.>`. */
    subject_prefix: z
      .string()
      .regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, 'dot-separated tokens of letters, digits, _ and -')
      .default('frec'),
    /** JetStream KV bucket of the aggregate states and view progress. */
    state_bucket: name.default('frec_state'),
    /** JetStream KV bucket of the partition leases and live workers (its TTL is the lease TTL). */
    lease_bucket: name.default('frec_leases'),
    /** A message delivered and not acknowledged within this time is redelivered (the Redis broker's claim idle time). */
    ack_wait_ms: z.number().int().min(100).default(30_000),
    /** Deliveries per message before the server gives up on it; -1: no limit. */
    max_deliver: z.number().int().min(-1).default(-1),
    /** Most delivered-but-unacknowledged messages per consumer group and partition. */
    max_ack_pending: z.number().int().min(1).default(20_000),
    /** Messages a subscription keeps pulled ahead of the worker. */
    pull_batch: z.number().int().min(1).default(1000),
    storage: z.enum(['file', 'memory']).default('file'),
    replicas: z.number().int().min(1).max(5).default(1),
    /** Authentication; any one of a creds file, a token, or user and password (values may use ${ENV}). */
    credentials: z
      .object({
        creds_file: z.string().min(1).optional(),
        token: z.string().min(1).optional(),
        user: z.string().min(1).optional(),
        password: z.string().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
/** A parsed NATS JetStream broker section. */
export type NatsJetStreamConfig = z.infer<typeof natsJetStreamConfigSchema>;
