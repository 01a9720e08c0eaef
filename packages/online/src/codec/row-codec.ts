import { ErrorCode, StoreError, type FeatureValue, type FieldSpec, type ValueType } from '@frec/core';
import { elementType, isArrayType } from '@frec/core/spi';

/**
 * The binary row every online store keeps per (project, view, entity key); see ADR 0020.
 *
 *   u8 format (1) | u32 feature-set id | f64 event ms | f64 created ms | null bitmap
 *   | fixed-width slots (numbers, bools, times; zeros when null) | length-prefixed strings, bytes, arrays
 *
 * Event and created times sit at fixed offsets so the Redis write script can compare them
 * without decoding; fixed-width features sit at fixed offsets so a read decodes only what it asks for.
 */
export const ROW_FORMAT = 1;
/** Byte offset of the event time (then the created time), shared with the Lua script. */
export const EVENT_TIME_OFFSET = 5;
const HEADER_BYTES = 21;

// Type codes: 0 int32, 1 int64, 2 float32, 3 float64, 4 bool, 5 string, 6 bytes, 7 unix_timestamp; +8 marks an array.
const TYPE_CODE: Record<string, number> = { int32: 0, int64: 1, float32: 2, float64: 3, bool: 4, string: 5, bytes: 6, unix_timestamp: 7 };
const WIDTH = [4, 8, 4, 8, 1, 0, 0, 8];

/** The stored layout of a view's features, named by a feature-set id. */
export interface RowSchema {
  id: number;
  fields: ReadonlyArray<{ name: string; dtype: ValueType }>;
  /** Type code per field. */
  codes: Uint8Array;
  /** Offset of each fixed-width field inside the fixed section; -1 for variable-length fields. */
  fixedOffsets: Int32Array;
  /** Size of the fixed section. */
  fixedBytes: number;
  bitmapBytes: number;
  /** Indices of variable-length fields, in stored order. */
  varFields: Int32Array;
}

/** FNV-1a over "name:dtype," of every feature, in order: equal lists give equal ids in every process. */
export function featureSetId(fields: ReadonlyArray<{ name: string; dtype: ValueType }>): number {
  let h = 0x811c9dc5;
  for (const f of fields) {
    const s = `${f.name}:${f.dtype},`;
    for (let i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
  }
  return h >>> 0;
}

/** Builds the row schema of a feature list. */
export function rowSchemaOf(fields: readonly FieldSpec[] | ReadonlyArray<{ name: string; dtype: ValueType }>): RowSchema {
  const plain = fields.map((f) => ({ name: f.name, dtype: f.dtype }));
  const codes = new Uint8Array(plain.length);
  const fixedOffsets = new Int32Array(plain.length).fill(-1);
  const varFields: number[] = [];
  let fixedBytes = 0;
  plain.forEach((f, i) => {
    const code = TYPE_CODE[elementType(f.dtype)]! + (isArrayType(f.dtype) ? 8 : 0);
    codes[i] = code;
    if (code < 8 && WIDTH[code]! > 0) {
      fixedOffsets[i] = fixedBytes;
      fixedBytes += WIDTH[code]!;
    } else varFields.push(i);
  });
  return {
    id: featureSetId(plain),
    fields: plain,
    codes,
    fixedOffsets,
    fixedBytes,
    bitmapBytes: (plain.length + 7) >> 3,
    varFields: Int32Array.from(varFields),
  };
}

// One scratch buffer per process: rows are copied out, so encoding allocates only the result.
let scratch = Buffer.allocUnsafe(64 * 1024);

function ensure(at: number, more: number): void {
  if (at + more <= scratch.length) return;
  const next = Buffer.allocUnsafe(Math.max(scratch.length * 2, at + more + 1024));
  scratch.copy(next, 0, 0, at);
  scratch = next;
}

function writeFixed(code: number, v: unknown, at: number): number {
  switch (code) {
    case 0:
      return scratch.writeInt32LE(Number(v), at);
    case 2:
      return scratch.writeFloatLE(Number(v), at);
    case 4:
      return scratch.writeUInt8(v ? 1 : 0, at);
    case 7:
      return scratch.writeDoubleLE(v instanceof Date ? v.getTime() : Number(v), at);
    default:
      // Number() also takes the bigints DuckDB returns for BIGINT columns.
      return scratch.writeDoubleLE(typeof v === 'number' ? v : Number(v), at);
  }
}

function writeVarScalar(code: number, v: unknown, at: number): number {
  if (code === 5) {
    const s = v as string;
    ensure(at, 4 + s.length * 3);
    const n = scratch.write(s, at + 4, 'utf8');
    scratch.writeUInt32LE(n, at);
    return at + 4 + n;
  }
  if (code === 6) {
    const b = v as Uint8Array;
    ensure(at, 4 + b.length);
    scratch.writeUInt32LE(b.length, at);
    scratch.set(b, at + 4);
    return at + 4 + b.length;
  }
  ensure(at, 8);
  return writeFixed(code, v, at);
}

/**
 * Encodes one row. `values` holds one value per schema field, in schema order, already
 * coerced to the declared types (writeRowsToOnline and materialization do that).
 */
export function encodeRow(schema: RowSchema, values: readonly FeatureValue[], eventTimeMs: number, createdTimeMs: number): Buffer {
  const n = schema.codes.length;
  const fixedStart = HEADER_BYTES + schema.bitmapBytes;
  let at = fixedStart + schema.fixedBytes;
  ensure(0, at);
  scratch.writeUInt8(ROW_FORMAT, 0);
  scratch.writeUInt32LE(schema.id, 1);
  scratch.writeDoubleLE(eventTimeMs, 5);
  scratch.writeDoubleLE(createdTimeMs, 13);
  scratch.fill(0, HEADER_BYTES, at);
  for (let f = 0; f < n; f++) {
    const v = values[f];
    if (v === null || v === undefined) {
      scratch[HEADER_BYTES + (f >> 3)]! |= 1 << (f & 7);
      continue;
    }
    const off = schema.fixedOffsets[f]!;
    if (off >= 0) writeFixed(schema.codes[f]!, v, fixedStart + off);
  }
  for (let j = 0; j < schema.varFields.length; j++) {
    const f = schema.varFields[j]!;
    const v = values[f];
    if (v === null || v === undefined) continue;
    const code = schema.codes[f]!;
    if (code < 8) {
      at = writeVarScalar(code, v, at);
      continue;
    }
    const arr = v as ReadonlyArray<unknown>;
    const len = arr.length;
    let hasNull = false;
    for (let i = 0; i < len; i++) if (arr[i] === null || arr[i] === undefined) hasNull = true;
    const bmBytes = hasNull ? (len + 7) >> 3 : 0;
    ensure(at, 5 + bmBytes);
    scratch.writeUInt32LE(len, at);
    scratch.writeUInt8(hasNull ? 1 : 0, at + 4);
    at += 5;
    const bm = at;
    if (hasNull) scratch.fill(0, at, at + bmBytes);
    at += bmBytes;
    for (let i = 0; i < len; i++) {
      const e = arr[i];
      if (e === null || e === undefined) {
        scratch[bm + (i >> 3)]! |= 1 << (i & 7);
        continue;
      }
      at = writeVarScalar(code - 8, e, at);
    }
  }
  const out = Buffer.allocUnsafe(at);
  scratch.copy(out, 0, 0, at);
  return out;
}

function readFixed(code: number, b: Buffer, at: number): Exclude<FeatureValue, unknown[]> {
  switch (code) {
    case 0:
      return b.readInt32LE(at);
    case 2:
      return b.readFloatLE(at);
    case 4:
      return b[at] === 1;
    case 7:
      return new Date(b.readDoubleLE(at));
    default:
      return b.readDoubleLE(at);
  }
}

/** Reads the u32 feature-set id of a stored row (the row must be at least 5 bytes long). */
export function rowSchemaId(b: Buffer): number {
  return b.readUInt32LE(1);
}

/** What one read wants from rows of one schema: the target column of each field (-1: skip). */
export interface DecodePlan {
  /** Fixed-width fields to read: field index, target column, absolute offset, type code (flattened, 4 per field). */
  fixed: Int32Array;
  /** Target column per field (-1: not requested). */
  targets: Int32Array;
  /** Per requested feature: true when it is int32/int64/float32/float64 in this schema (decoded as plain numbers). */
  numeric: boolean[];
}

/** Builds the decode plan of a schema for the requested feature names. */
export function decodePlanOf(schema: RowSchema, features: readonly string[]): DecodePlan {
  const targets = new Int32Array(schema.fields.length).fill(-1);
  const fixed: number[] = [];
  const fixedStart = HEADER_BYTES + schema.bitmapBytes;
  schema.fields.forEach((f, i) => {
    const t = features.indexOf(f.name);
    targets[i] = t;
    if (t >= 0 && schema.fixedOffsets[i]! >= 0) fixed.push(i, t, fixedStart + schema.fixedOffsets[i]!, schema.codes[i]!);
  });
  const numeric = features.map((name) => {
    const i = schema.fields.findIndex((f) => f.name === name);
    return i >= 0 && schema.codes[i]! <= 3;
  });
  return { fixed: Int32Array.from(fixed), targets, numeric };
}

/**
 * A bytes value copied out of the row (the caller owns it, and it keeps no pooled or reply buffer
 * alive). A short one by a loop: \`new Uint8Array(b.subarray(..))\` makes a Buffer view first, which
 * cost more than the copy (an aggregation view's read decodes two such values, ADR 0098).
 */
function copyBytes(b: Buffer, from: number, end: number): Uint8Array {
  const n = end - from;
  const out = new Uint8Array(n);
  if (n > 1024) out.set(new Uint8Array(b.buffer, b.byteOffset + from, n));
  else for (let i = 0; i < n; i++) out[i] = b[from + i]!;
  return out;
}

// Reads (or skips, when `keep` is false) one variable-length value; returns the value and moves cursor.at.
function readVar(code: number, b: Buffer, cursor: { at: number }, keep: boolean): FeatureValue {
  let at = cursor.at;
  if (code === 5 || code === 6) {
    const n = b.readUInt32LE(at);
    const end = at + 4 + n;
    if (end > b.length) throw new RangeError('a string or bytes value runs past the end of the row');
    cursor.at = end;
    if (!keep) return null;
    return code === 5 ? b.toString('utf8', at + 4, end) : copyBytes(b, at + 4, end);
  }
  const len = b.readUInt32LE(at);
  const hasNull = b[at + 4] === 1;
  if (len > b.length) throw new RangeError('an array is longer than the row');
  at += 5;
  const bm = at;
  if (hasNull) at += (len + 7) >> 3;
  const ec = code - 8;
  const w = WIDTH[ec]!;
  if (!keep && !hasNull && w > 0) {
    cursor.at = at + len * w;
    if (cursor.at > b.length) throw new RangeError('an array runs past the end of the row');
    return null;
  }
  const arr = keep ? new Array<Exclude<FeatureValue, unknown[]>>(len) : undefined;
  for (let i = 0; i < len; i++) {
    if (hasNull && (b[bm + (i >> 3)]! >> (i & 7)) & 1) {
      if (arr) arr[i] = null;
      continue;
    }
    if (w > 0) {
      if (arr) arr[i] = readFixed(ec, b, at);
      at += w;
    } else {
      cursor.at = at;
      const v = readVar(ec, b, cursor, keep) as Exclude<FeatureValue, unknown[]>;
      if (arr) arr[i] = v;
      at = cursor.at;
    }
  }
  if (at > b.length) throw new RangeError('an array runs past the end of the row');
  cursor.at = at;
  return arr ?? null;
}

/**
 * Decodes a row into columns following a decode plan: requested fixed-width fields are read at
 * their offsets, variable-length ones are walked. The row's times go to `eventTimes[slot]` and
 * `createdTimes[slot]`. Throws a RangeError or TypeError on a corrupt row; the stores turn that
 * into a CORRUPT_ROW for that key alone.
 */
export function decodeRowInto(
  b: Buffer,
  schema: RowSchema,
  plan: DecodePlan,
  columns: FeatureValue[][],
  slot: number,
  eventTimes: Float64Array,
  createdTimes: Float64Array,
): void {
  const varStart = HEADER_BYTES + schema.bitmapBytes + schema.fixedBytes;
  if (b.length < varStart || b[0] !== ROW_FORMAT) throw new TypeError(`unknown row format ${b[0]} or short row (${b.length} bytes)`);
  const fixed = plan.fixed;
  for (let j = 0; j < fixed.length; j += 4) {
    const f = fixed[j]!;
    const col = columns[fixed[j + 1]!]!;
    col[slot] = (b[HEADER_BYTES + (f >> 3)]! >> (f & 7)) & 1 ? null : readFixed(fixed[j + 3]!, b, fixed[j + 2]!);
  }
  const vars = schema.varFields;
  if (vars.length === 0) {
    if (b.length !== varStart) throw new RangeError(`row is ${b.length} bytes, its feature set takes ${varStart}`);
  } else {
    const cursor = { at: varStart };
    for (let j = 0; j < vars.length; j++) {
      const f = vars[j]!;
      const t = plan.targets[f]!;
      if ((b[HEADER_BYTES + (f >> 3)]! >> (f & 7)) & 1) {
        if (t >= 0) columns[t]![slot] = null;
        continue;
      }
      const v = readVar(schema.codes[f]!, b, cursor, t >= 0);
      if (t >= 0) columns[t]![slot] = v;
    }
    if (cursor.at !== b.length) throw new RangeError(`row has ${b.length - cursor.at} bytes after its last value`);
  }
  eventTimes[slot] = b.readDoubleLE(EVENT_TIME_OFFSET);
  createdTimes[slot] = b.readDoubleLE(EVENT_TIME_OFFSET + 8);
}

/** The exact length of a row of an all-fixed-width schema, or -1 when the schema has variable-length fields. */
export function fixedRowLength(schema: RowSchema): number {
  return schema.varFields.length === 0 ? HEADER_BYTES + schema.bitmapBytes + schema.fixedBytes : -1;
}

/** True when `b` is a well-formed header of `schema` with room for its fixed section (exact size when all fields are fixed). */
export function fitsSchema(b: Buffer, schema: RowSchema, exactLength: number): boolean {
  if (b[0] !== ROW_FORMAT) return false;
  if (exactLength >= 0 ? b.length !== exactLength : b.length < HEADER_BYTES + schema.bitmapBytes + schema.fixedBytes) return false;
  return b.readUInt32LE(1) === schema.id;
}

/**
 * Decodes the requested fixed-width fields of many rows column by column (one tight loop per
 * field), plus each row's event and created times; `idx[0..count)` are the row slots, already
 * checked with `fitsSchema`. Sets `nullable[col]` to 1 for a column that received a null.
 */
// Byte offsets of the rows of one decode; decoding is synchronous, so one array serves every call.
let basesScratch = new Int32Array(1024);

export function decodeFixedColumns(
  plan: DecodePlan,
  rows: ReadonlyArray<Buffer | null | undefined>,
  idx: Int32Array,
  count: number,
  columns: FeatureValue[][],
  eventTimes: Float64Array,
  createdTimes: Float64Array,
  nullable: Uint8Array,
): void {
  if (count === 0) return;
  // DataView reads are compiler intrinsics, far cheaper than Buffer.readDoubleLE. Rows parsed from
  // one reply share a few ArrayBuffers (the socket's chunks): one DataView per run of rows that
  // share one, not one per row, keeps the inner loops monomorphic (2x faster than a DataView array).
  if (basesScratch.length < count) basesScratch = new Int32Array(Math.max(count, 2 * basesScratch.length));
  const bases = basesScratch;
  const dvs: DataView[] = [];
  const ends: number[] = [];
  let lastBuf: ArrayBufferLike | undefined;
  for (let i = 0; i < count; i++) {
    const b = rows[idx[i]!]!;
    if (b.buffer !== lastBuf) {
      if (lastBuf !== undefined) ends.push(i);
      lastBuf = b.buffer;
      dvs.push(new DataView(b.buffer));
    }
    bases[i] = b.byteOffset;
  }
  ends.push(count);
  const nruns = dvs.length;
  for (let run = 0, s = 0; run < nruns; run++) {
    const dv = dvs[run]!;
    const e = ends[run]!;
    for (let i = s; i < e; i++) {
      const k = idx[i]!;
      eventTimes[k] = dv.getFloat64(bases[i]! + EVENT_TIME_OFFSET, true);
      createdTimes[k] = dv.getFloat64(bases[i]! + EVENT_TIME_OFFSET + 8, true);
    }
    s = e;
  }
  const fixed = plan.fixed;
  for (let j = 0; j < fixed.length; j += 4) {
    const f = fixed[j]!;
    const t = fixed[j + 1]!;
    const col = columns[t]!;
    const off = fixed[j + 2]!;
    const code = fixed[j + 3]!;
    const nb = HEADER_BYTES + (f >> 3);
    const mask = 1 << (f & 7);
    let nulls = 0;
    if (code > 3) {
      for (let i = 0; i < count; i++) {
        const k = idx[i]!;
        const b = rows[k]!;
        if (b[nb]! & mask) {
          col[k] = null;
          nulls++;
        } else col[k] = readFixed(code, b, off);
      }
      if (nulls > 0) nullable[t] = 1;
      continue;
    }
    for (let run = 0, s = 0; run < nruns; run++) {
      const dv = dvs[run]!;
      const e = ends[run]!;
      // One loop per type, so each loop calls one DataView getter (monomorphic); two stores, not
      // one conditional expression, because a (null | number) value would be boxed.
      switch (code) {
        case 2:
          for (let i = s; i < e; i++) {
            const base = bases[i]!;
            if (dv.getUint8(base + nb) & mask) {
              col[idx[i]!] = null;
              nulls++;
            } else col[idx[i]!] = dv.getFloat32(base + off, true);
          }
          break;
        case 1:
        case 3:
          for (let i = s; i < e; i++) {
            const base = bases[i]!;
            if (dv.getUint8(base + nb) & mask) {
              col[idx[i]!] = null;
              nulls++;
            } else col[idx[i]!] = dv.getFloat64(base + off, true);
          }
          break;
        case 0:
          for (let i = s; i < e; i++) {
            const base = bases[i]!;
            if (dv.getUint8(base + nb) & mask) {
              col[idx[i]!] = null;
              nulls++;
            } else col[idx[i]!] = dv.getInt32(base + off, true);
          }
          break;
        default:
          for (let i = s; i < e; i++) {
            const k = idx[i]!;
            const b = rows[k]!;
            if (b[nb]! & mask) {
              col[k] = null;
              nulls++;
            } else col[k] = readFixed(code, b, off);
          }
      }
      s = e;
    }
    if (nulls > 0) nullable[t] = 1;
  }
}

/**
 * Decodes the variable-length fields of one row (the fixed ones were decoded by column) and
 * checks that the row ends where its last value does. Throws on a corrupt row.
 */
export function decodeVarInto(b: Buffer, schema: RowSchema, plan: DecodePlan, columns: FeatureValue[][], slot: number): void {
  const vars = schema.varFields;
  const cursor = { at: HEADER_BYTES + schema.bitmapBytes + schema.fixedBytes };
  for (let j = 0; j < vars.length; j++) {
    const f = vars[j]!;
    const t = plan.targets[f]!;
    if ((b[HEADER_BYTES + (f >> 3)]! >> (f & 7)) & 1) {
      if (t >= 0) columns[t]![slot] = null;
      continue;
    }
    const v = readVar(schema.codes[f]!, b, cursor, t >= 0);
    if (t >= 0) columns[t]![slot] = v;
  }
  if (cursor.at !== b.length) throw new RangeError(`row has ${b.length - cursor.at} bytes after its last value`);
}

/** The CORRUPT_ROW error reported for one key whose stored bytes could not be decoded. */
export function corruptRowError(view: string, key: string, cause: unknown): StoreError {
  return new StoreError(
    ErrorCode.CORRUPT_ROW,
    `Stored row of feature view '${view}' for entity key '${key}' cannot be decoded: ${(cause as Error).message ?? String(cause)}.`,
    {
      where: { featureView: view, entityKey: key },
      hint: 'Rewrite the row (materialize or push it again); other keys of the request are unaffected.',
      cause,
    },
  );
}
