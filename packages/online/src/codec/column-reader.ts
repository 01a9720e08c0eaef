import { type FeatureValue, type FeatureViewSpec } from '@frec/core';
import { type OnlineColumnarRead, type OnlineReadResult } from '@frec/core/spi';
import {
  corruptRowError,
  decodeFixedColumns,
  decodePlanOf,
  decodeRowInto,
  decodeVarInto,
  fitsSchema,
  fixedRowLength,
  rowSchemaId,
  rowSchemaOf,
  type DecodePlan,
  type RowSchema,
} from './row-codec.js';

/** Looks up the stored schema of an older feature set (rows written before a feature was added). */
export type SchemaLoader = (view: string, id: number) => Promise<RowSchema | undefined> | RowSchema | undefined;

/**
 * Decodes stored rows into columns. It knows the current schema of each view and fetches older
 * feature sets once through the loader, so rows written before a schema change stay readable.
 */
export class ColumnReader {
  private readonly current = new WeakMap<FeatureViewSpec, RowSchema>();
  private readonly schemas = new Map<string, RowSchema>();

  /** The row schema of a view as declared now (cached per spec object). */
  schemaOf(view: FeatureViewSpec): RowSchema {
    let s = this.current.get(view);
    if (!s) {
      s = rowSchemaOf(view.features);
      this.current.set(view, s);
      this.schemas.set(`${view.name}:${s.id}`, s);
    }
    return s;
  }

  /** Remembers a schema read from or written to the store. */
  remember(view: string, schema: RowSchema): void {
    this.schemas.set(`${view}:${schema.id}`, schema);
  }

  // Keyed by the features array itself (getOnlineFeatures passes the same array for a cached
  // request plan), then by schema object: no key string is built per read.
  private readonly plansByFeatures = new WeakMap<readonly string[], WeakMap<RowSchema, DecodePlan>>();

  private planOf(schema: RowSchema, features: readonly string[]): DecodePlan {
    let bySchema = this.plansByFeatures.get(features);
    if (!bySchema) {
      bySchema = new WeakMap();
      this.plansByFeatures.set(features, bySchema);
    }
    let p = bySchema.get(schema);
    if (!p) {
      p = decodePlanOf(schema, features);
      bySchema.set(schema, p);
    }
    return p;
  }

  /**
   * Decodes `rows[k]` (null when absent) for the requested features; `keyOf(k)` names a key in
   * errors and `loadSchema` fetches a feature set this process has not seen. Returns synchronously
   * unless a row needs a feature set that must be loaded (no promise hop on the hot path).
   */
  decode(
    view: FeatureViewSpec,
    rows: ReadonlyArray<Buffer | null | undefined>,
    features: readonly string[],
    keyOf: (k: number) => string,
    loadSchema: SchemaLoader,
  ): OnlineColumnarRead | Promise<OnlineColumnarRead> {
    const n = rows.length;
    const nf = features.length;
    const values: FeatureValue[][] = new Array(nf);
    const current = this.schemaOf(view);
    const currentPlan = this.planOf(current, features);
    // Numeric columns start as unboxed double arrays (one allocation, no SMI-to-double transition
    // on the first write); the others start empty. Neither is pre-filled with null, which would box.
    for (let f = 0; f < nf; f++) values[f] = currentPlan.numeric[f] ? doubleArray(n) : new Array<FeatureValue>(n);
    const eventTimeMs = new Float64Array(n);
    const createdTimeMs = new Float64Array(n);
    // Columns filled by the fixed-width decoder report their own nulls; the others may hold nulls.
    const nullable = new Uint8Array(nf).fill(1);
    const fixedPlan = currentPlan.fixed;
    for (let j = 1; j < fixedPlan.length; j += 4) nullable[fixedPlan[j]!] = 0;
    const out: OnlineColumnarRead = { values, eventTimeMs, createdTimeMs, errors: undefined, nullable };
    // Rows of the current feature set are decoded column by column; older or odd rows one by one.
    const exact = fixedRowLength(current);
    const fast = scratchIndex(n);
    let count = 0;
    let pending: number[] | undefined;
    for (let k = 0; k < n; k++) {
      const b = rows[k];
      if (b && fitsSchema(b, current, exact)) {
        fast[count++] = k;
        continue;
      }
      // Absent keys, and features an older row does not hold, read as null; a decode overwrites the rest.
      for (let f = 0; f < nf; f++) values[f]![k] = null;
      nullable.fill(1);
      eventTimeMs[k] = Number.NaN;
      createdTimeMs[k] = Number.NaN;
      if (!b) continue;
      try {
        const id = b.length >= 5 ? rowSchemaId(b) : -1;
        const schema = id === current.id ? current : this.schemas.get(`${view.name}:${id}`);
        if (schema)
          decodeRowInto(b, schema, schema === current ? currentPlan : this.planOf(schema, features), values, k, eventTimeMs, createdTimeMs);
        else if (id >= 0) (pending ??= []).push(k);
        else throw new TypeError('row too short for a feature-set id');
      } catch (err) {
        failRow(out, view.name, keyOf, k, err);
      }
    }
    decodeFixedColumns(currentPlan, rows, fast, count, values, eventTimeMs, createdTimeMs, nullable);
    if (current.varFields.length > 0) {
      for (let i = 0; i < count; i++) {
        const k = fast[i]!;
        try {
          decodeVarInto(rows[k]!, current, currentPlan, values, k);
        } catch (err) {
          failRow(out, view.name, keyOf, k, err);
        }
      }
    }
    if (!pending) return out;
    return this.decodeOlder(view.name, rows, features, pending, out, keyOf, loadSchema);
  }

  // Rows written under a feature set this process has not seen yet: fetch it once, then decode.
  private async decodeOlder(
    view: string,
    rows: ReadonlyArray<Buffer | null | undefined>,
    features: readonly string[],
    pending: readonly number[],
    out: OnlineColumnarRead,
    keyOf: (k: number) => string,
    loadSchema: SchemaLoader,
  ): Promise<OnlineColumnarRead> {
    for (const k of pending) {
      const b = rows[k]!;
      try {
        const id = rowSchemaId(b);
        const older = this.schemas.get(`${view}:${id}`) ?? (await loadSchema(view, id));
        if (!older) throw new TypeError(`feature set ${id} is not known to the store`);
        this.remember(view, older);
        decodeRowInto(b, older, this.planOf(older, features), out.values, k, out.eventTimeMs, out.createdTimeMs);
      } catch (err) {
        failRow(out, view, keyOf, k, err);
      }
    }
    return out;
  }
}

// A row that cannot be decoded reads as absent, with a CORRUPT_ROW error for its key. A module
// function, not a closure per decode: tsx's keepNames would name such a closure on every call.
function failRow(out: OnlineColumnarRead, view: string, keyOf: (k: number) => string, k: number, err: unknown): void {
  const { values } = out;
  for (let f = 0; f < values.length; f++) values[f]![k] = null;
  out.eventTimeMs[k] = Number.NaN;
  out.createdTimeMs[k] = Number.NaN;
  out.nullable?.fill(1);
  out.errors ??= new Array<Error | undefined>(out.eventTimeMs.length);
  out.errors[k] = corruptRowError(view, keyOf(k), err);
}

// Row indices of one decode. Decoding is synchronous, so one array serves every call.
let scratch = new Int32Array(1024);

function scratchIndex(n: number): Int32Array {
  if (scratch.length < n) scratch = new Int32Array(Math.max(n, 2 * scratch.length));
  return scratch;
}

// Template for numeric columns: slice() copies it into a new double array in one allocation.
let template: number[] = [];

function doubleArray(n: number): FeatureValue[] {
  if (template.length < n) template = new Array<number>(Math.max(n, 2 * template.length, 64)).fill(Number.NaN);
  return template.slice(0, n);
}

/** Turns a columnar read into one result per key, for `OnlineStore.read`. */
export function columnsToResults(read: OnlineColumnarRead, features: readonly string[]): OnlineReadResult[] {
  const n = read.eventTimeMs.length;
  const out: OnlineReadResult[] = new Array(n);
  for (let k = 0; k < n; k++) {
    const err = read.errors?.[k];
    if (err) {
      out[k] = err;
      continue;
    }
    if (Number.isNaN(read.eventTimeMs[k]!)) {
      out[k] = null;
      continue;
    }
    const values: Record<string, FeatureValue> = {};
    features.forEach((f, i) => {
      values[f] = read.values[i]![k]!;
    });
    out[k] = { values, eventTimeMs: read.eventTimeMs[k]!, createdTimeMs: read.createdTimeMs[k]! };
  }
  return out;
}

/** Serializes a row schema for the store's schema table (names and types in stored order). */
export function schemaToJson(schema: RowSchema): string {
  return JSON.stringify(schema.fields);
}

/** Parses what schemaToJson wrote; undefined when it is not a field list. */
export function schemaFromJson(text: string): RowSchema | undefined {
  try {
    const fields = JSON.parse(text) as Array<{ name: string; dtype: RowSchema['fields'][number]['dtype'] }>;
    return Array.isArray(fields) ? rowSchemaOf(fields) : undefined;
  } catch {
    return undefined;
  }
}
