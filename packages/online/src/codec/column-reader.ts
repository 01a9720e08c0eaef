import type { FeatureValue, FeatureViewSpec, OnlineColumnarRead, OnlineReadResult } from '@frec/core';
import {
  EVENT_TIME_OFFSET,
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

  // Keyed by the features array itself: getOnlineFeatures passes the same array for a cached request plan.
  private readonly plansByFeatures = new WeakMap<readonly string[], Map<string, DecodePlan>>();

  private planOf(view: string, schema: RowSchema, features: readonly string[]): DecodePlan {
    let byFeatures = this.plansByFeatures.get(features);
    if (!byFeatures) {
      byFeatures = new Map();
      this.plansByFeatures.set(features, byFeatures);
    }
    const k = `${view}:${schema.id}`;
    let p = byFeatures.get(k);
    if (!p) {
      p = decodePlanOf(schema, features);
      byFeatures.set(k, p);
    }
    return p;
  }

  /**
   * Decodes `rows[k]` (null when absent) for the requested features; `keyOf(k)` names a key in
   * errors and `loadSchema` fetches a feature set this process has not seen.
   */
  async decode(
    view: FeatureViewSpec,
    rows: ReadonlyArray<Buffer | null | undefined>,
    features: readonly string[],
    keyOf: (k: number) => string,
    loadSchema: SchemaLoader,
  ): Promise<OnlineColumnarRead> {
    const n = rows.length;
    const nf = features.length;
    const values: FeatureValue[][] = new Array(nf);
    const current = this.schemaOf(view);
    const currentPlan = this.planOf(view.name, current, features);
    // Numeric columns start as unboxed double arrays (one allocation, no SMI-to-double transition
    // on the first write); the others start empty. Neither is pre-filled with null, which would box.
    for (let f = 0; f < nf; f++) values[f] = currentPlan.numeric[f] ? doubleArray(n) : new Array<FeatureValue>(n);
    const eventTimeMs = new Float64Array(n).fill(Number.NaN);
    const createdTimeMs = new Float64Array(n).fill(Number.NaN);
    let errors: Array<Error | undefined> | undefined;
    const exact = fixedRowLength(current);
    const fail = (k: number, err: unknown): void => {
      for (let f = 0; f < nf; f++) values[f]![k] = null;
      eventTimeMs[k] = Number.NaN;
      createdTimeMs[k] = Number.NaN;
      errors ??= new Array<Error | undefined>(n);
      errors[k] = corruptRowError(view.name, keyOf(k), err);
    };
    // Rows of the current feature set are decoded column by column; older or odd rows one by one.
    const fast = new Int32Array(n);
    let count = 0;
    for (let k = 0; k < n; k++) {
      const b = rows[k];
      if (b && fitsSchema(b, current, exact)) {
        fast[count++] = k;
        continue;
      }
      // Absent keys, and features an older row does not hold, read as null; a decode overwrites the rest.
      for (let f = 0; f < nf; f++) values[f]![k] = null;
      if (!b) continue;
      try {
        const id = b.length >= 5 ? rowSchemaId(b) : -1;
        if (id === current.id) {
          decodeRowInto(b, current, currentPlan, values, k, eventTimeMs, createdTimeMs);
          continue;
        }
        const older = this.schemas.get(`${view.name}:${id}`) ?? (id >= 0 ? await loadSchema(view.name, id) : undefined);
        if (!older) throw new TypeError(`feature set ${id} is not known to the store`);
        this.remember(view.name, older);
        decodeRowInto(b, older, this.planOf(view.name, older, features), values, k, eventTimeMs, createdTimeMs);
      } catch (err) {
        fail(k, err);
      }
    }
    decodeFixedColumns(currentPlan, rows, fast, count, values);
    const hasVar = current.varFields.length > 0;
    for (let i = 0; i < count; i++) {
      const k = fast[i]!;
      const b = rows[k]!;
      if (hasVar) {
        try {
          decodeVarInto(b, current, currentPlan, values, k);
        } catch (err) {
          fail(k, err);
          continue;
        }
      }
      eventTimeMs[k] = b.readDoubleLE(EVENT_TIME_OFFSET);
      createdTimeMs[k] = b.readDoubleLE(EVENT_TIME_OFFSET + 8);
    }
    return { values, eventTimeMs, createdTimeMs, errors };
  }
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
