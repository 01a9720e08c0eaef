import { z } from 'zod';
import { ErrorCode, RequestError } from '@frec/core';
import { didYouMean } from '@frec/core/spi';

/** Column names must be plain identifiers; `__proto__` and friends would poison row objects. */
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);
const columnName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a join key or request field name (letters, digits, underscores)')
  .max(128)
  .refine((n) => !FORBIDDEN.has(n), 'is a reserved name');

const MAX_STRING = 65_536;
const MAX_CELL_ARRAY = 65_536;
const scalar = z.union([z.string().max(MAX_STRING), z.number(), z.boolean(), z.null()]);
/** One cell: a scalar, or an array of scalars (embeddings, "last N items" request data). */
const cell = z.union([scalar, z.array(scalar).max(MAX_CELL_ARRAY)]);
/** A table sent as columns, the way Feast sends entities and push data frames. */
const strictColumns = z.record(columnName, z.array(cell, { invalid_type_error: 'must be an array of values, one per row' }));
/** The same table with cells left unchecked: `cellsAreValid` checks them far faster than a zod union per cell. */
const looseColumns = z.record(columnName, z.array(z.unknown(), { invalid_type_error: 'must be an array of values, one per row' }));

function isScalar(v: unknown): boolean {
  const t = typeof v;
  return v === null || t === 'number' || t === 'boolean' || (t === 'string' && (v as string).length <= MAX_STRING);
}

/** The hot-path equivalent of `strictColumns`' cell schema; on false, zod runs to word the error. */
function cellsAreValid(cols: Record<string, unknown[]>): boolean {
  for (const name in cols) {
    const col = cols[name]!;
    for (let i = 0; i < col.length; i++) {
      const v = col[i];
      if (isScalar(v)) continue;
      if (!Array.isArray(v) || v.length > MAX_CELL_ARRAY || !v.every(isScalar)) return false;
    }
  }
  return true;
}

function onlineFeaturesSchema(columns: typeof strictColumns | typeof looseColumns) {
  return z
    .object({
      features: z.array(z.string().min(1).max(512)).min(1, 'must name at least one feature').max(10_000).optional(),
      feature_service: z.string().min(1).max(512).optional(),
      entities: columns.refine((c) => Object.keys(c).length > 0, 'must hold at least one join key column'),
      full_feature_names: z.boolean().default(false),
      // Feast's Python client (0.5x+) always sends it; frec has no feature view versions, so it changes nothing.
      include_feature_view_version_metadata: z.boolean().optional(),
    })
    .strict()
    .superRefine((b, ctx) => {
      if ((b.features === undefined) === (b.feature_service === undefined)) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['features'], message: "give exactly one of 'features' or 'feature_service'" });
      }
    });
}

function pushSchema(columns: typeof strictColumns | typeof looseColumns) {
  return z
    .object({
      push_source_name: z.string().min(1).max(512),
      df: columns.refine((c) => Object.keys(c).length > 0, 'must hold at least one column'),
      to: z
        .enum(['online', 'offline', 'online_and_offline', 'both'])
        .default('online')
        .transform((t) => (t === 'both' ? 'online_and_offline' : t)),
      allow_registry_cache: z.boolean().optional(),
      transform_on_write: z.boolean().optional(),
    })
    .strict();
}

function writeToOnlineSchema(columns: typeof strictColumns | typeof looseColumns) {
  return z
    .object({
      feature_view_name: z.string().min(1).max(512),
      df: columns.refine((c) => Object.keys(c).length > 0, 'must hold at least one column'),
      allow_registry_cache: z.boolean().optional(),
      transform_on_write: z.boolean().optional(),
    })
    .strict();
}

/** A request schema in two forms: a fast one for the hot path and a strict one that words errors. */
export interface BodySchema<T> {
  /** A hand-written check of the common case, tried first; undefined hands the body to zod. */
  quick?: (body: Record<string, unknown>) => T | undefined;
  fast: z.ZodType<T, z.ZodTypeDef, unknown>;
  strict: z.ZodType<T, z.ZodTypeDef, unknown>;
  /** The column tables to check cell by cell after `fast` passed. */
  tables(body: T): Array<Record<string, unknown[]>>;
}

const COLUMN_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ONLINE_KEYS = new Set(['features', 'feature_service', 'entities', 'full_feature_names']);

/**
 * The usual /get-online-features body (a feature list, entity columns of scalars) checked by hand
 * against the same rules as the zod schema, which took about 10 µs of a 1-entity request
 * (docs/profiles/feature-server.md). Anything it is not sure of (a feature service, an odd
 * field, a bad value) returns undefined and zod decides and words the error.
 */
function quickOnlineFeatures(body: Record<string, unknown>): GetOnlineFeaturesBody | undefined {
  for (const k in body) if (!ONLINE_KEYS.has(k)) return undefined;
  const { features, entities, full_feature_names: full } = body;
  if (body.feature_service !== undefined || !Array.isArray(features) || features.length < 1 || features.length > 10_000) return undefined;
  for (let i = 0; i < features.length; i++) {
    const f: unknown = features[i];
    if (typeof f !== 'string' || f.length < 1 || f.length > 512) return undefined;
  }
  if (full !== undefined && typeof full !== 'boolean') return undefined;
  if (
    typeof entities !== 'object' ||
    entities === null ||
    Array.isArray(entities) ||
    Object.getPrototypeOf(entities) !== Object.prototype
  ) {
    return undefined;
  }
  let columns = 0;
  for (const name in entities) {
    if (!Object.hasOwn(entities, name)) return undefined;
    if (name.length > 128 || FORBIDDEN.has(name) || !COLUMN_NAME.test(name)) return undefined;
    if (!Array.isArray((entities as Record<string, unknown>)[name])) return undefined;
    columns++;
  }
  if (columns === 0 || !cellsAreValid(entities as Record<string, unknown[]>)) return undefined;
  return { features: features as string[], entities: entities as Record<string, unknown[]>, full_feature_names: full ?? false };
}

/** Body of POST /get-online-features, as Feast's feature server takes it. */
export const getOnlineFeaturesBody: BodySchema<z.output<ReturnType<typeof onlineFeaturesSchema>>> = {
  quick: quickOnlineFeatures,
  fast: onlineFeaturesSchema(looseColumns),
  strict: onlineFeaturesSchema(strictColumns),
  tables: (b) => [b.entities],
};
export type GetOnlineFeaturesBody = z.output<ReturnType<typeof onlineFeaturesSchema>>;

/** Body of POST /push, as Feast's feature server takes it ('both' is accepted as in Feast's docs). */
export const pushBody = {
  fast: pushSchema(looseColumns),
  strict: pushSchema(strictColumns),
  tables: (b) => [b.df],
} satisfies BodySchema<z.output<ReturnType<typeof pushSchema>>>;
export type PushBody = z.output<ReturnType<typeof pushSchema>>;

/** Body of POST /write-to-online-store, as Feast's remote online store client sends it. */
export const writeToOnlineBody = {
  fast: writeToOnlineSchema(looseColumns),
  strict: writeToOnlineSchema(strictColumns),
  tables: (b) => [b.df],
} satisfies BodySchema<z.output<ReturnType<typeof writeToOnlineSchema>>>;

/** Parses a body; the 400 error names each bad field (and suggests a known one for typos). */
export function parseBody<T>(schema: BodySchema<T>, body: unknown, route: string): T {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new RequestError(ErrorCode.INVALID_REQUEST, `${route}: the body must be a JSON object.`, {
      where: { route },
      hint: `Send a JSON object such as {"features": ["view:feature"], "entities": {"driver_id": [1001]}}.`,
    });
  }
  const hand = schema.quick?.(body as Record<string, unknown>);
  if (hand !== undefined) return hand;
  const quick = schema.fast.safeParse(body);
  if (quick.success && schema.tables(quick.data).every(cellsAreValid)) return quick.data;
  const res = schema.strict.safeParse(body);
  if (res.success) return res.data;
  const known = knownKeys(schema.strict);
  const parts = res.error.issues.slice(0, 3).map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((k) => `unknown field '${k}'.${didYouMean(k, known)}`).join(' ');
    }
    const field = issue.path.length > 0 ? issue.path.join('.') : '(body)';
    return `${field}: ${issue.message}.`;
  });
  const first = res.error.issues[0]!;
  const field = first.code === 'unrecognized_keys' ? first.keys[0] : first.path.join('.');
  throw new RequestError(ErrorCode.INVALID_REQUEST, `${route}: ${parts.join(' ')}`, {
    where: { route, field: field || '(body)' },
    hint: `Allowed fields: ${known.join(', ')}.`,
  });
}

function knownKeys(schema: z.ZodTypeAny): string[] {
  let s: z.ZodTypeAny = schema;
  while (s instanceof z.ZodEffects) s = s.innerType();
  return s instanceof z.ZodObject ? Object.keys(s.shape as object) : [];
}

/**
 * Checks that every column of a table has one value per row and that the row count stays within
 * `maxRows` (413 beyond it); returns the row count.
 */
export function checkColumns(cols: Record<string, unknown[]>, opts: { route: string; field: string; maxRows: number }): number {
  let n = -1;
  let first = '';
  for (const name of Object.keys(cols)) {
    const len = cols[name]!.length;
    if (len > opts.maxRows) {
      throw new RequestError(
        ErrorCode.REQUEST_TOO_LARGE,
        `${opts.route}: ${opts.field}.${name} has ${len} values; this server takes at most ${opts.maxRows} rows per request.`,
        {
          where: { route: opts.route, field: `${opts.field}.${name}` },
          hint: 'Split the request into smaller batches, or raise feature_server.max_entities in feature_store.yaml.',
        },
      );
    }
    if (n === -1) {
      n = len;
      first = name;
    } else if (len !== n) {
      throw new RequestError(
        ErrorCode.INVALID_REQUEST,
        `${opts.route}: ${opts.field}.${name} has ${len} values but ${opts.field}.${first} has ${n}; every column needs one value per row.`,
        { where: { route: opts.route, field: `${opts.field}.${name}` } },
      );
    }
  }
  return Math.max(n, 0);
}

/** Turns a checked table of columns into row objects (push rows are validated row by row). */
export function columnsToRows(
  cols: Record<string, unknown[]>,
  opts: { route: string; field: string; maxRows: number },
): Array<Record<string, unknown>> {
  const n = checkColumns(cols, opts);
  const names = Object.keys(cols);
  const rows: Array<Record<string, unknown>> = new Array(n);
  for (let i = 0; i < n; i++) {
    const row: Record<string, unknown> = {};
    for (const name of names) row[name] = cols[name]![i];
    rows[i] = row;
  }
  return rows;
}
