import { hllFromText, hllToText } from './hll.js';
import { emptySlot, type SlotKind, type SlotTiles, type TilePlan, type TileState } from './tiles.js';

/**
 * The online row of an entity's tiles (ADR 0098). Its size is what a read, a backfill and an
 * incremental run pay for: SQLite keeps a row under about 1 KB in its B-tree page and moves a longer
 * one to overflow pages, which costs 3-5x per read and write (docs/benchmarks.md). So each numeric
 * array is stored in the narrowest form that gives back every value bit for bit: unsigned 8/16/32-bit
 * integers (after a scale of 1, 2, 4, 8, 10 or 100 when exact), float32 when exact, else float64; an
 * array equal to an earlier one (the count of two slots over the same column) is a reference; tile
 * starts are gaps in tiles. Version 1 rows (float64 throughout) are still read.
 *
 * Version 2: float64 [2, n, maxT, wm, first tile start], then two bytes per array (form, argument),
 * padded to 8, then each array padded to 8, then JSON of the non-numeric slots and stream IDs (a
 * HyperLogLog slot's sketches as base64 text, hll.ts).
 */

const NUMERIC_FIELDS: Partial<Record<SlotKind, Array<'c' | 's' | 'm'>>> = {
  count: ['c'],
  sum: ['c', 's'],
  min: ['c', 'm'],
  max: ['c', 'm'],
};
const F64 = 0;
const F32 = 1;
const U8 = 2;
const U16 = 3;
const U32 = 4;
const REF = 5;
const SCALES = [1, 2, 4, 8, 10, 100];
const WIDTH = [8, 4, 1, 2, 4, 0];
const LIMIT = [0, 0, 0xff, 0xffff, 0xffffffff];

interface Form {
  form: number;
  arg: number;
}

const pad8 = (x: number): number => (x + 7) & ~7;

/** The narrowest exact form of `a`. */
function formOf(a: ArrayLike<number>): Form {
  const n = a.length;
  for (let si = 0; si < SCALES.length; si++) {
    const k = SCALES[si]!;
    let max = 0;
    let ok = true;
    for (let i = 0; i < n && ok; i++) {
      const v = a[i]!;
      const q = Math.round(v * k);
      if (!(q >= 0 && q / k === v && !Object.is(v, -0))) ok = false;
      else if (q > max) max = q;
    }
    if (ok) return { form: max <= LIMIT[U8]! ? U8 : max <= LIMIT[U16]! ? U16 : max <= LIMIT[U32]! ? U32 : F64, arg: si };
  }
  for (let i = 0; i < n; i++) {
    const v = a[i]!;
    if (v === v && Math.fround(v) !== v) return { form: F64, arg: 0 };
  }
  return { form: F32, arg: 0 };
}

function sameArray(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

function writeArray(out: Uint8Array, at: number, a: ArrayLike<number>, f: Form): void {
  const n = a.length;
  const k = SCALES[f.arg]!;
  const view =
    f.form === F64
      ? new Float64Array(out.buffer, at, n)
      : f.form === F32
        ? new Float32Array(out.buffer, at, n)
        : f.form === U8
          ? new Uint8Array(out.buffer, at, n)
          : f.form === U16
            ? new Uint16Array(out.buffer, at, n)
            : new Uint32Array(out.buffer, at, n);
  if (f.form === F64 || f.form === F32) for (let i = 0; i < n; i++) view[i] = a[i]!;
  else for (let i = 0; i < n; i++) view[i] = Math.round(a[i]! * k);
}

/** Serializes an entity's tiles as its online row (or its stream state). */
export function encodeTileRow(plan: TilePlan, st: TileState): Uint8Array {
  const n = st.t.length;
  const base = n > 0 ? st.t[0]! : 0;
  const gaps = new Float64Array(n);
  for (let i = 1; i < n; i++) gaps[i] = (st.t[i]! - st.t[i - 1]!) / plan.tileMs;
  const arrays: Array<ArrayLike<number>> = [gaps];
  const rest: Record<string, unknown> = {};
  plan.slots.forEach((spec, j) => {
    const fields = NUMERIC_FIELDS[spec.kind];
    if (!fields) {
      // A sketch as base64 (3 bytes a register), not JSON numbers: the row stays small (see the header).
      rest[j] = spec.kind === 'hll' ? { hb: st.s[j]!.h!.map(hllToText) } : st.s[j];
      return;
    }
    for (const k of fields) {
      const arr = st.s[j]![k]!;
      if (k !== 'm') arrays.push(arr as number[]);
      else {
        const m = new Float64Array(n);
        for (let i = 0; i < n; i++) m[i] = arr[i] ?? Number.NaN;
        arrays.push(m);
      }
    }
  });
  const forms = arrays.map((a, i): Form => {
    for (let e = 1; e < i; e++) if (sameArray(a, arrays[e]!)) return { form: REF, arg: e };
    return formOf(a);
  });
  if (st.applied !== undefined) rest.applied = st.applied;
  if (st.late !== undefined) rest.late = st.late;
  if (st.ids !== undefined) rest.ids = st.ids;
  const json = Object.keys(rest).length > 0 ? Buffer.from(JSON.stringify(rest)) : undefined;
  let len = 40 + pad8(forms.length * 2);
  for (const f of forms) len += pad8(WIDTH[f.form]! * n);
  const out = new Uint8Array(len + (json?.length ?? 0));
  new Float64Array(out.buffer, 0, 5).set([2, n, st.maxT ?? Number.NaN, st.wm ?? Number.NaN, base]);
  let at = 40;
  for (const f of forms) {
    out[at++] = f.form;
    out[at++] = f.arg;
  }
  at = 40 + pad8(forms.length * 2);
  forms.forEach((f, i) => {
    if (f.form === REF) return;
    writeArray(out, at, arrays[i]!, f);
    at += pad8(WIDTH[f.form]! * n);
  });
  if (json) out.set(json, len);
  return out;
}

/** An array of the row: a view in place when stored unscaled (a read allocates only what it must rescale). */
function readArray(buf: ArrayBuffer, at: number, n: number, f: Form): ArrayLike<number> {
  if (f.form === F64) return new Float64Array(buf, at, n);
  const src =
    f.form === F32
      ? new Float32Array(buf, at, n)
      : f.form === U8
        ? new Uint8Array(buf, at, n)
        : f.form === U16
          ? new Uint16Array(buf, at, n)
          : new Uint32Array(buf, at, n);
  const k = SCALES[f.arg]!;
  if (k === 1) return src;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = src[i]! / k;
  return out;
}

function fillSlots(plan: TilePlan, st: TileState, next: () => ArrayLike<number>, rest: Record<string, unknown>, mutable: boolean): void {
  plan.slots.forEach((spec, j) => {
    const fields = NUMERIC_FIELDS[spec.kind];
    if (!fields) {
      const stored = rest[j] as (SlotTiles & { hb?: string[] }) | undefined;
      st.s.push(!stored ? emptySlot(spec.kind) : stored.hb ? { h: stored.hb.map(hllFromText) } : stored);
      return;
    }
    const slot: SlotTiles = {};
    for (const k of fields) {
      const a = next();
      if (k === 'm') slot.m = mutable ? Array.from(a, (v) => (v !== v ? null : v)) : (a as number[]);
      else slot[k] = (mutable ? Array.from(a) : a) as number[];
    }
    st.s.push(slot);
  });
  if (rest.applied !== undefined) st.applied = rest.applied as number;
  if (rest.late !== undefined) st.late = rest.late as number;
  if (rest.ids !== undefined) st.ids = rest.ids as string[];
}

function jsonAt(bytes: Uint8Array, from: number): Record<string, unknown> {
  return bytes.byteLength > from
    ? (JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + from, bytes.byteLength - from).toString('utf8')) as Record<string, unknown>)
    : {};
}

function numericArrays(plan: TilePlan): number {
  let k = 0;
  for (const spec of plan.slots) k += NUMERIC_FIELDS[spec.kind]?.length ?? 0;
  return k;
}

/**
 * Reads an online tiles row. Without `mutable` the numeric arrays are typed arrays (for reads, views of
 * the row where stored as float64); with it, plain arrays that merges can grow.
 */
export function decodeTileRow(plan: TilePlan, bytes: Uint8Array, mutable = false): TileState {
  const aligned = bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
  const head = new Float64Array(aligned.buffer, aligned.byteOffset, 4);
  const version = head[0];
  if (version === 1) return decodeV1(plan, aligned, mutable);
  if (version !== 2) throw new TypeError(`unknown tiles row version ${version}`);
  if (aligned.byteLength < 40) throw new RangeError('tiles row is shorter than its header says');
  const h = new Float64Array(aligned.buffer, aligned.byteOffset, 5);
  const n = h[1]!;
  const count = 1 + numericArrays(plan);
  const forms: Form[] = [];
  for (let i = 0; i < count; i++) forms.push({ form: aligned[40 + 2 * i]!, arg: aligned[41 + 2 * i]! });
  let at = 40 + pad8(count * 2);
  let len = at;
  for (const f of forms) len += pad8(WIDTH[f.form]! * n);
  if (aligned.byteLength < len || forms.some((f) => WIDTH[f.form] === undefined))
    throw new RangeError('tiles row is shorter than its header says');
  const arrays: Array<ArrayLike<number>> = [];
  for (const f of forms) {
    if (f.form === REF) arrays.push(arrays[f.arg]!);
    else {
      arrays.push(readArray(aligned.buffer as ArrayBuffer, aligned.byteOffset + at, n, f));
      at += pad8(WIDTH[f.form]! * n);
    }
  }
  const gaps = arrays[0]!;
  const t = new Float64Array(n);
  let cur = h[4]!;
  for (let i = 0; i < n; i++) t[i] = cur += gaps[i]! * plan.tileMs;
  const st: TileState = {
    t: (mutable ? Array.from(t) : t) as unknown as number[],
    s: [],
    maxT: Number.isNaN(h[2]!) ? null : h[2]!,
    ...(Number.isNaN(h[3]!) ? {} : { wm: h[3]! }),
  };
  let next = 1;
  fillSlots(plan, st, () => arrays[next++]!, jsonAt(aligned, len), mutable);
  return st;
}

/** Version 1: float64 [1, n, maxT, wm, starts, each numeric slot's arrays], then JSON. */
function decodeV1(plan: TilePlan, aligned: Uint8Array, mutable: boolean): TileState {
  const head = new Float64Array(aligned.buffer, aligned.byteOffset, 4);
  const n = head[1]!;
  const len = 4 + n + numericArrays(plan) * n;
  if (aligned.byteLength < len * 8) throw new RangeError('tiles row is shorter than its header says');
  const f = new Float64Array(aligned.buffer, aligned.byteOffset, len);
  const view = (from: number): number[] => {
    const sub = f.subarray(from, from + n);
    return (mutable ? Array.from(sub) : sub) as unknown as number[];
  };
  const st: TileState = {
    t: view(4),
    s: [],
    maxT: Number.isNaN(head[2]!) ? null : head[2]!,
    ...(Number.isNaN(head[3]!) ? {} : { wm: head[3]! }),
  };
  let at = 4 + n;
  fillSlots(
    plan,
    st,
    () => {
      const sub = f.subarray(at, at + n);
      at += n;
      return sub;
    },
    jsonAt(aligned, len * 8),
    false,
  );
  if (mutable) {
    for (const slot of st.s) {
      if (slot.c) slot.c = Array.from(slot.c);
      if (slot.s) slot.s = Array.from(slot.s);
      if (slot.m) slot.m = Array.from(slot.m as ArrayLike<number>, (v) => (Number.isNaN(v) ? null : v));
    }
  }
  return st;
}
