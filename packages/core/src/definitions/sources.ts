import { parseDuration, type Duration } from '../duration.js';
import { DefinitionError } from '../errors.js';
import { callSite } from './call-site.js';
import { fieldToSpec, type Field } from './field.js';
import {
  fileSourceSpecSchema,
  pushSourceSpecSchema,
  requestSourceSpecSchema,
  streamSourceSpecSchema,
  type FileSourceSpec,
  type PushSourceSpec,
  type RequestSourceSpec,
  type StreamSourceSpec,
} from './specs.js';
import { parseSpec } from './validate.js';

/** A data source: where a feature view's rows come from. */
export class DataSource<
  S extends FileSourceSpec | PushSourceSpec | RequestSourceSpec | StreamSourceSpec =
    FileSourceSpec | PushSourceSpec | RequestSourceSpec | StreamSourceSpec,
> {
  readonly kind = 'dataSource' as const;
  constructor(
    readonly spec: S,
    readonly site?: string,
  ) {}
  get name(): string {
    return this.spec.name;
  }
}

/** A request source: values the caller sends with each request (for on-demand views). */
export class RequestSource<F extends readonly Field[] = readonly Field[]> extends DataSource<RequestSourceSpec> {
  constructor(
    spec: RequestSourceSpec,
    readonly fields: F,
    site?: string,
  ) {
    super(spec, site);
  }
}

type Common = { name: string; description?: string; tags?: Record<string, string>; owner?: string };

/**
 * Declares a Parquet source (a path or glob, hive partitions allowed).
 * Paths are relative to the feature repo. Timestamps without a zone are read as UTC.
 * @example fileSource({ name: 'ratings', path: 'data/ratings.parquet', timestampField: 'ts' })
 */
export function fileSource(
  options: Common & { path: string; timestampField: string; createdTimestampColumn?: string; fieldMapping?: Record<string, string> },
): DataSource<FileSourceSpec> {
  const site = callSite();
  return new DataSource(parseSpec(fileSourceSpecSchema, { type: 'file', ...options }, 'file source', site), site);
}

/** Declares a push source: rows pushed through `store.push`, kept offline in `batchSource`. */
export function pushSource(options: Common & { batchSource: DataSource<FileSourceSpec> }): DataSource<PushSourceSpec> {
  const site = callSite();
  const spec = parseSpec(pushSourceSpecSchema, { type: 'push', ...options, batchSource: options.batchSource.spec }, 'push source', site);
  return new DataSource(spec, site);
}

/**
 * Declares a stream source (Redis Streams by default) backed offline by `batchSource`; with
 * `partitions: K` its events are spread over K partitions by entity key, shared by the workers of a view.
 */
export function streamSource(
  options: Common & {
    topic: string;
    timestampField: string;
    batchSource: DataSource<FileSourceSpec>;
    broker?: string;
    partitions?: number;
    /** How late an event may arrive and still have the offline rows after it rewritten (default 5 minutes; ADR 0031). */
    allowedLateness?: Duration;
  },
): DataSource<StreamSourceSpec> {
  const site = callSite();
  const { allowedLateness, ...rest } = options;
  const lateness = allowedLateness === undefined ? undefined : parseDuration(allowedLateness);
  if (lateness !== undefined && !(lateness >= 0)) {
    throw new DefinitionError(`Stream source '${options.name}' has an invalid allowedLateness '${String(allowedLateness)}'.`, {
      where: { file: site },
      hint: "Use a number of seconds (0 or more) or a duration such as '5m' or '1h'.",
    });
  }
  const spec = parseSpec(
    streamSourceSpecSchema,
    {
      type: 'stream',
      ...rest,
      ...(lateness === undefined ? {} : { allowedLatenessSeconds: lateness }),
      batchSource: options.batchSource.spec,
    },
    'stream source',
    site,
  );
  return new DataSource(spec, site);
}

/**
 * Declares a request source: the fields a caller sends with each request.
 * @example requestSource({ name: 'ctx', schema: [field('hour_of_day', Int32)] })
 */
export function requestSource<const F extends readonly Field[]>(options: Common & { schema: F }): RequestSource<F> {
  const site = callSite();
  const spec = parseSpec(
    requestSourceSpecSchema,
    { type: 'request', ...options, schema: options.schema.map(fieldToSpec) },
    'request source',
    site,
  );
  return new RequestSource(spec, options.schema, site);
}
