import { z } from 'zod';
import { VALUE_TYPES, type ValueType } from '../value-types.js';
import { isValidName } from '../names.js';

/**
 * Specs are the plain-JSON form of every definition: what the registry stores and what
 * stores and servers work from. The builder functions (`entity`, `featureView`, ...) produce them.
 */
export const nameSchema = z
  .string()
  .refine(isValidName, { message: 'must start with a letter or underscore and hold only letters, digits and underscores (at most 128)' });

const tagsSchema = z.record(z.string(), z.string()).default({});
const valueTypeSchema = z.custom<ValueType>((v) => typeof v === 'string' && (VALUE_TYPES as readonly string[]).includes(v), {
  message: `must be one of ${VALUE_TYPES.join(', ')}`,
});

/** A typed column: a feature, a join key or a request field. */
export const fieldSpecSchema = z
  .object({
    name: nameSchema,
    dtype: valueTypeSchema,
    description: z.string().default(''),
    tags: tagsSchema,
    /** A float field that may hold NaN and ±Infinity (absent: it refuses them). */
    allowNonFinite: z.literal(true).optional(),
  })
  .strict();
/** The stored form of a field. */
export type FieldSpec = z.infer<typeof fieldSpecSchema>;

/** An entity: the name features describe and the join key rows are matched on. */
export const entitySpecSchema = z
  .object({
    name: nameSchema,
    joinKey: nameSchema,
    valueType: valueTypeSchema,
    description: z.string().default(''),
    tags: tagsSchema,
    owner: z.string().default(''),
  })
  .strict();
/** The stored form of an entity. */
export type EntitySpec = z.infer<typeof entitySpecSchema>;

/** A Parquet file or glob with an event-time column. */
export const fileSourceSpecSchema = z
  .object({
    type: z.literal('file'),
    name: nameSchema,
    path: z.string().min(1, 'path must not be empty'),
    timestampField: z.string().min(1),
    createdTimestampColumn: z.string().optional(),
    fieldMapping: z.record(z.string(), z.string()).default({}),
    description: z.string().default(''),
    tags: tagsSchema,
    owner: z.string().default(''),
  })
  .strict();
/** The stored form of a file source. */
export type FileSourceSpec = z.infer<typeof fileSourceSpecSchema>;

/** A source rows are pushed to through the SDK, kept offline in a file source. */
export const pushSourceSpecSchema = z
  .object({
    type: z.literal('push'),
    name: nameSchema,
    batchSource: fileSourceSpecSchema,
    description: z.string().default(''),
    tags: tagsSchema,
    owner: z.string().default(''),
  })
  .strict();
/** The stored form of a push source. */
export type PushSourceSpec = z.infer<typeof pushSourceSpecSchema>;

/** Fields the caller sends with each request, for on-demand views. */
export const requestSourceSpecSchema = z
  .object({
    type: z.literal('request'),
    name: nameSchema,
    schema: z.array(fieldSpecSchema).min(1),
    description: z.string().default(''),
    tags: tagsSchema,
    owner: z.string().default(''),
  })
  .strict();
/** The stored form of a request source. */
export type RequestSourceSpec = z.infer<typeof requestSourceSpecSchema>;

/** A stream of events (Redis Streams, NATS JetStream) with an offline batch source holding the same events. */
export const streamSourceSpecSchema = z
  .object({
    type: z.literal('stream'),
    name: nameSchema,
    /** Which broker implementation consumes it, e.g. 'redis'. */
    broker: z.string().default('redis'),
    /** Stream key (Redis) or topic. */
    topic: z.string().min(1),
    /** Partitions the events are spread over by entity key (absent: 1, one stream). */
    partitions: z.number().int().min(1).max(1024).optional(),
    /**
     * How late (event time behind the entity's newest event) an event may arrive and still have the
     * offline history corrected for it (absent: DEFAULT_ALLOWED_LATENESS_SECONDS; ADR 0031).
     */
    allowedLatenessSeconds: z.number().nonnegative().optional(),
    timestampField: z.string().min(1),
    batchSource: fileSourceSpecSchema,
    description: z.string().default(''),
    tags: tagsSchema,
    owner: z.string().default(''),
  })
  .strict();
/** The stored form of a stream source. */
export type StreamSourceSpec = z.infer<typeof streamSourceSpecSchema>;

/** Any data source, discriminated by `type`. */
export const dataSourceSpecSchema = z.discriminatedUnion('type', [
  fileSourceSpecSchema,
  pushSourceSpecSchema,
  requestSourceSpecSchema,
  streamSourceSpecSchema,
]);
/** The stored form of any data source. */
export type DataSourceSpec = z.infer<typeof dataSourceSpecSchema>;
/** Sources a feature view can read rows from (a request source cannot). */
export type BatchCapableSourceSpec = FileSourceSpec | PushSourceSpec | StreamSourceSpec;

/** One aggregation of a stream feature view, computed the same way online and in the backfill. */
export const aggregationSpecSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('last_n'), name: nameSchema, column: z.string(), n: z.number().int().positive() }).strict(),
  z
    .object({
      kind: z.enum(['count', 'sum', 'mean']),
      name: nameSchema,
      column: z.string().optional(),
      windowSeconds: z.number().positive(),
    })
    .strict(),
  z.object({ kind: z.enum(['session_length', 'session_duration']), name: nameSchema, gapSeconds: z.number().positive() }).strict(),
]);
/** The stored form of one stream aggregation. */
export type AggregationSpec = z.infer<typeof aggregationSpecSchema>;

/** The functions an aggregation feature view computes over tiles. */
export const TILE_FUNCTIONS = ['count', 'sum', 'mean', 'min', 'max', 'last', 'last_n', 'count_distinct', 'count_distinct_approx'] as const;
/** One function of a tiled aggregation. */
export type TileFunction = (typeof TILE_FUNCTIONS)[number];

/** One feature of an aggregation view: a function of a column over a window ending at the read time. */
export const tiledAggregationSpecSchema = z
  .object({
    name: nameSchema,
    function: z.enum(TILE_FUNCTIONS),
    /** Source or derived column; absent for `count` of rows. */
    column: z.string().optional(),
    windowSeconds: z.number().positive(),
    /** A SQL boolean expression over the source's and derived columns: only rows where it holds count. */
    filter: z.string().optional(),
    /** last_n: how many values. */
    n: z.number().int().positive().optional(),
  })
  .strict();
/** The stored form of one tiled aggregation feature. */
export type TiledAggregationSpec = z.infer<typeof tiledAggregationSpecSchema>;

/** How an aggregation view is computed: fixed tiles of partial aggregates, merged at read time (docs/aggregations.md). */
export const tilingSpecSchema = z
  .object({
    tileSeconds: z.number().positive(),
    /** Stream path: events older than the entity's newest event by more than this are dropped (absent: none are). */
    allowedLatenessSeconds: z.number().nonnegative().optional(),
    /** How long the source keeps events (absent: unknown); no window may be longer. */
    retentionSeconds: z.number().positive().optional(),
    /** Row-level derived columns: name to SQL expression over the source's columns. */
    derived: z.record(z.string(), z.string()).default({}),
    aggregations: z.array(tiledAggregationSpecSchema).min(1),
  })
  .strict();
/** The stored form of an aggregation view's tiling. */
export type TilingSpec = z.infer<typeof tilingSpecSchema>;

/** A feature view: features of some entities, read from one source, valid for a TTL. */
export const featureViewSpecSchema = z
  .object({
    kind: z.enum(['batch', 'stream', 'aggregation']).default('batch'),
    name: nameSchema,
    entities: z.array(nameSchema),
    /** Join key columns with their types, in entity order. */
    entityColumns: z.array(fieldSpecSchema),
    features: z.array(fieldSpecSchema).min(1, 'a feature view needs at least one feature'),
    source: z.union([fileSourceSpecSchema, pushSourceSpecSchema, streamSourceSpecSchema]),
    /** Seconds a value stays valid after its event time; 0 means forever. */
    ttlSeconds: z.number().nonnegative(),
    online: z.boolean().default(true),
    offline: z.boolean().default(true),
    /** Stream views: the aggregations that produce `features`. */
    aggregations: z.array(aggregationSpecSchema).default([]),
    /** Aggregation views: the tiled aggregations that produce `features`. */
    tiling: tilingSpecSchema.optional(),
    description: z.string().default(''),
    tags: tagsSchema,
    owner: z.string().default(''),
  })
  .strict();
/** The stored form of a feature view (batch or stream). */
export type FeatureViewSpec = z.infer<typeof featureViewSpecSchema>;

/** What an on-demand view reads: a view's features or a request source. */
export const odfvSourceRefSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('featureView'), name: nameSchema, features: z.array(z.string()) }).strict(),
  z.object({ kind: z.literal('request'), name: nameSchema }).strict(),
]);
/** The stored form of an on-demand view's input. */
export type OdfvSourceRef = z.infer<typeof odfvSourceRefSchema>;

/** An on-demand view: outputs computed by a transform, with its source text. */
export const onDemandFeatureViewSpecSchema = z
  .object({
    name: nameSchema,
    sources: z.array(odfvSourceRefSchema).min(1),
    /** Request sources embedded in full so a server can validate request data without the definitions. */
    requestSources: z.array(requestSourceSpecSchema).default([]),
    features: z.array(fieldSpecSchema).min(1),
    /** The transform's source text, so a server without the definition files can rebuild it. */
    transformSource: z.string(),
    description: z.string().default(''),
    tags: tagsSchema,
    owner: z.string().default(''),
  })
  .strict();
/** The stored form of an on-demand view. */
export type OnDemandFeatureViewSpec = z.infer<typeof onDemandFeatureViewSpecSchema>;

/** A named subset of one view's features, as a feature service lists it. */
export const projectionSpecSchema = z
  .object({ view: nameSchema, features: z.array(z.string()).min(1), alias: z.string().optional() })
  .strict();
/** The stored form of a projection. */
export type ProjectionSpec = z.infer<typeof projectionSpecSchema>;

/** A feature service: the features one model reads. */
export const featureServiceSpecSchema = z
  .object({
    name: nameSchema,
    projections: z.array(projectionSpecSchema).min(1),
    description: z.string().default(''),
    tags: tagsSchema,
    owner: z.string().default(''),
  })
  .strict();
/** The stored form of a feature service. */
export type FeatureServiceSpec = z.infer<typeof featureServiceSpecSchema>;

/** Formats a zod error as "path: message; path: message". */
export function formatZodError(err: z.ZodError): string {
  return err.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`).join('; ');
}
