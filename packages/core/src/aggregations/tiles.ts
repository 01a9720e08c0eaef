import type { FeatureViewSpec, FieldSpec, TileFunction } from '../definitions/specs.js';
import { formatDuration } from '../duration.js';
import { hllAdd, hllEstimate, hllMerge } from './hll.js';
import { coerceScalar, elementType, isArrayType, type FeatureValue, type ScalarType } from '../value-types.js';

/**
 * The tile engine of aggregation views, in one place (docs/aggregations.md, ADR 0098). A tile holds
 * partial aggregates of one entity's events in one fixed time bucket; tiles merge, so the batch
 * path (DuckDB GROUP BY entity, bucket), the stream worker (the same SQL per batch, merged here) and
 * the online read (merged here at the request time) compute the same thing.
 *
 * A window W read at time t covers the events in [floor_tile(t) - W, t]: every complete tile whose
 * start is at or after floor_tile(t) - W, plus the head tile's events at or before t.
 */

/** The partial aggregate kinds a tile keeps; one slot serves every window of the same function, column and filter. */
export type SlotKind = 'count' | 'sum' | 'min' | 'max' | 'last' | 'last_n' | 'distinct' | 'hll';

/** One slot: the per-tile partial aggregate of one (kind, column, filter). */
export interface SlotSpec {
  kind: SlotKind;
  column?: string;
  filter?: string;
  n?: number;
}

/** One output feature: which slot, which window, how it is finished. */
export interface TileFeature {
  name: string;
  fn: TileFunction;
  slot: number;
  windowMs: number;
  dtype: FieldSpec['dtype'];
  element: ScalarType;
}

/** A compiled aggregation view, shared by every entity. */
export interface TilePlan {
  view: FeatureViewSpec;
  tileMs: number;
  maxWindowMs: number;
  latenessMs: number | null;
  slots: SlotSpec[];
  features: TileFeature[];
  byName: Map<string, number>;
}

/**
 * Per-slot tile arrays, aligned with `TileState.t`. count: c; sum: c, s; min/max: c, m; last: lt (time, null
 * when the tile has no value), lv; last_n: l (newest first, [time, value]); distinct: d (distinct values); hll: h (a sparse HyperLogLog sketch, hll.ts).
 */
export interface SlotTiles {
  c?: number[];
  s?: number[];
  m?: Array<number | null>;
  lt?: Array<number | null>;
  lv?: unknown[];
  l?: Array<Array<[number, unknown]>>;
  d?: unknown[][];
  h?: number[][];
}

/** One entity's tiles, plain JSON (the online row's hidden column and the stream worker's state). */
export interface TileState {
  /** Tile starts (epoch ms), ascending. */
  t: number[];
  s: SlotTiles[];
  /** Newest event time applied (epoch ms), or null when empty. */
  maxT: number | null;
  /** Batch materialization: events before this time (epoch ms) are in the tiles; guards a rerun against counting a day twice. */
  wm?: number;
  /** Stream path: events applied, events dropped as later than the allowed lateness, recent stream IDs. */
  applied?: number;
  late?: number;
  ids?: string[];
  /** Stream path: the created time of the entity's newest online row, so the next one's is later (ADR 0031). */
  createdMs?: number;
}

/** The hidden column holding an aggregation view's tiles in the online store. */
export const TILES_COLUMN = '__tiles';

function slotKindOf(fn: TileFunction): SlotKind {
  if (fn === 'mean' || fn === 'sum') return 'sum';
  if (fn === 'count_distinct') return 'distinct';
  if (fn === 'count_distinct_approx') return 'hll';
  return fn;
}

const plans = new WeakMap<FeatureViewSpec, TilePlan>();

/** Compiles an aggregation view's features into slots, once per spec object. */
export function planTiles(view: FeatureViewSpec): TilePlan {
  const hit = plans.get(view);
  if (hit) return hit;
  const tiling = view.tiling;
  if (!tiling) throw new Error(`feature view '${view.name}' is not an aggregation view`);
  const slots: SlotSpec[] = [];
  const keyOf = (s: SlotSpec): string => `${s.kind}\u0000${s.column ?? ''}\u0000${s.filter ?? ''}\u0000${s.n ?? ''}`;
  const slotIndex = new Map<string, number>();
  let maxWindowMs = 0;
  const features = tiling.aggregations.map((a): TileFeature => {
    const slot: SlotSpec = {
      kind: slotKindOf(a.function),
      ...(a.column ? { column: a.column } : {}),
      ...(a.filter ? { filter: a.filter } : {}),
      ...(a.function === 'last_n' ? { n: a.n ?? 10 } : {}),
    };
    const k = keyOf(slot);
    let i = slotIndex.get(k);
    if (i === undefined) slotIndex.set(k, (i = slots.push(slot) - 1));
    maxWindowMs = Math.max(maxWindowMs, a.windowSeconds * 1000);
    const dtype = view.features.find((f) => f.name === a.name)?.dtype ?? 'float64';
    return { name: a.name, fn: a.function, slot: i, windowMs: a.windowSeconds * 1000, dtype, element: elementType(dtype) };
  });
  const plan: TilePlan = {
    view,
    tileMs: tiling.tileSeconds * 1000,
    maxWindowMs,
    latenessMs: tiling.allowedLatenessSeconds === undefined ? null : tiling.allowedLatenessSeconds * 1000,
    slots,
    features,
    byName: new Map(features.map((f, i) => [f.name, i])),
  };
  plans.set(view, plan);
  return plan;
}

/** A fresh, empty state. */
export function emptyTiles(plan: TilePlan): TileState {
  return { t: [], s: plan.slots.map((s) => emptySlot(s.kind)), maxT: null };
}

/** A slot with no tiles. */
export function emptySlot(kind: SlotKind): SlotTiles {
  switch (kind) {
    case 'count':
      return { c: [] };
    case 'sum':
      return { c: [], s: [] };
    case 'min':
    case 'max':
      return { c: [], m: [] };
    case 'last':
      return { lt: [], lv: [] };
    case 'last_n':
      return { l: [] };
    case 'distinct':
      return { d: [] };
    case 'hll':
      return { h: [] };
  }
}

/** Inserts an empty tile at index i of every slot. */
function insertTile(plan: TilePlan, st: TileState, i: number, start: number): void {
  if (i === st.t.length) return appendTile(plan, st, start);
  st.t.splice(i, 0, start);
  plan.slots.forEach((spec, j) => {
    const s = st.s[j]!;
    switch (spec.kind) {
      case 'count':
        s.c!.splice(i, 0, 0);
        break;
      case 'sum':
        s.c!.splice(i, 0, 0);
        s.s!.splice(i, 0, 0);
        break;
      case 'min':
      case 'max':
        s.c!.splice(i, 0, 0);
        s.m!.splice(i, 0, null);
        break;
      case 'last':
        s.lt!.splice(i, 0, null);
        s.lv!.splice(i, 0, null);
        break;
      case 'last_n':
        s.l!.splice(i, 0, []);
        break;
      case 'distinct':
        s.d!.splice(i, 0, []);
        break;
      case 'hll':
        s.h!.splice(i, 0, []);
        break;
    }
  });
}

/** Appends an empty tile (the usual case: events in time order). */
function appendTile(plan: TilePlan, st: TileState, start: number): void {
  st.t.push(start);
  for (let j = 0; j < plan.slots.length; j++) {
    const s = st.s[j]!;
    switch (plan.slots[j]!.kind) {
      case 'count':
        s.c!.push(0);
        break;
      case 'sum':
        s.c!.push(0);
        s.s!.push(0);
        break;
      case 'min':
      case 'max':
        s.c!.push(0);
        s.m!.push(null);
        break;
      case 'last':
        s.lt!.push(null);
        s.lv!.push(null);
        break;
      case 'last_n':
        s.l!.push([]);
        break;
      case 'distinct':
        s.d!.push([]);
        break;
      case 'hll':
        s.h!.push([]);
        break;
    }
  }
}

/** The index of the tile starting at `start`, created when absent. */
function tileIndex(plan: TilePlan, st: TileState, start: number): number {
  const t = st.t;
  let i = t.length;
  // Events mostly arrive in order: scan from the newest tile.
  while (i > 0 && t[i - 1]! > start) i--;
  if (i > 0 && t[i - 1] === start) return i - 1;
  insertTile(plan, st, i, start);
  return i;
}

/** A number from a cell (bigint, numeric string); null when absent or not a number. */
export function numberOf(v: unknown): number | null {
  if (v === null || v === undefined || v === '') return null;
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : null;
}

/** A scalar distinct or last value in a canonical form: bigint as number, Date as epoch ms. */
export function scalarOf(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Date) return v.getTime();
  return v;
}

/** Merges list b (arrived later) into list a, newest first; equal times put b's first; at most n. */
function mergeNewest(a: Array<[number, unknown]>, b: ReadonlyArray<[number, unknown]>, n: number): Array<[number, unknown]> {
  const out: Array<[number, unknown]> = [];
  let i = 0;
  let j = 0;
  while (out.length < n && (i < a.length || j < b.length)) {
    if (j < b.length && (i >= a.length || b[j]![0] >= a[i]![0])) out.push(b[j++]!);
    else out.push(a[i++]!);
  }
  return out;
}

/**
 * Folds one event into the state: `inputs[slot]` is the slot's input value (the column, or 1 for a
 * count of rows), null when the row's value is null or the slot's filter rejects it. Events must be
 * folded in arrival order: on equal times the later one is the newer.
 */
export function foldEvent(plan: TilePlan, st: TileState, timeMs: number, inputs: ArrayLike<unknown>): void {
  const i = tileIndex(plan, st, Math.floor(timeMs / plan.tileMs) * plan.tileMs);
  if (st.maxT === null || timeMs > st.maxT) st.maxT = timeMs;
  for (let j = 0; j < plan.slots.length; j++) {
    const spec = plan.slots[j]!;
    const raw = inputs[j];
    if (raw === null || raw === undefined) continue;
    const s = st.s[j]!;
    switch (spec.kind) {
      case 'count':
        s.c![i]!++;
        break;
      case 'sum': {
        const v = numberOf(raw);
        if (v === null) break;
        s.c![i]!++;
        s.s![i]! += v;
        break;
      }
      case 'min':
      case 'max': {
        const v = numberOf(raw);
        if (v === null) break;
        const m = s.m![i];
        s.c![i]!++;
        if (m === null || m === undefined || (spec.kind === 'min' ? v < m : v > m)) s.m![i] = v;
        break;
      }
      case 'last': {
        const lt = s.lt![i];
        if (lt === null || lt === undefined || timeMs >= lt) {
          s.lt![i] = timeMs;
          s.lv![i] = scalarOf(raw);
        }
        break;
      }
      case 'last_n':
        s.l![i] = mergeNewest(s.l![i]!, [[timeMs, scalarOf(raw)]], spec.n ?? 10);
        break;
      case 'distinct': {
        const d = s.d![i]!;
        const v = scalarOf(raw);
        if (!d.includes(v)) d.push(v);
        break;
      }
      case 'hll':
        hllAdd(s.h![i]!, scalarOf(raw));
        break;
    }
  }
}

/** Merges tiles `b` (computed from events that arrived after those of `a`) into `a`, mutating `a`. */
export function mergeTiles(plan: TilePlan, a: TileState, b: TileState): void {
  for (let k = 0; k < b.t.length; k++) {
    const i = tileIndex(plan, a, b.t[k]!);
    for (let j = 0; j < plan.slots.length; j++) {
      const spec = plan.slots[j]!;
      const x = a.s[j]!;
      const y = b.s[j]!;
      switch (spec.kind) {
        case 'count':
          x.c![i]! += y.c![k]!;
          break;
        case 'sum':
          x.c![i]! += y.c![k]!;
          x.s![i]! += y.s![k]!;
          break;
        case 'min':
        case 'max': {
          x.c![i]! += y.c![k]!;
          const m = x.m![i];
          const v = y.m![k];
          if (v !== null && v !== undefined && (m === null || m === undefined || (spec.kind === 'min' ? v < m : v > m))) x.m![i] = v;
          break;
        }
        case 'last': {
          const v = y.lt![k];
          const cur = x.lt![i];
          if (v !== null && v !== undefined && (cur === null || cur === undefined || v >= cur)) {
            x.lt![i] = v;
            x.lv![i] = y.lv![k];
          }
          break;
        }
        case 'last_n':
          x.l![i] = mergeNewest(x.l![i]!, y.l![k]!, spec.n ?? 10);
          break;
        case 'distinct': {
          const d = x.d![i]!;
          for (const v of y.d![k]!) if (!d.includes(v)) d.push(v);
          break;
        }
        case 'hll':
          x.h![i] = hllMerge(x.h![i]!, y.h![k]!);
          break;
      }
    }
  }
  if (b.maxT !== null && (a.maxT === null || b.maxT > a.maxT)) a.maxT = b.maxT;
}

/** The tiles of `st` starting at or after `from` (a new state sharing nothing with `st`'s arrays). */
export function tilesFrom(plan: TilePlan, st: TileState, from: number): TileState {
  let i = 0;
  while (i < st.t.length && st.t[i]! < from) i++;
  const out: TileState = {
    t: st.t.slice(i),
    s: st.s.map((s) => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, (v as unknown[]).slice(i)]))),
    maxT: null,
  };
  if (out.t.length > 0) out.maxT = st.maxT;
  void plan;
  return out;
}

/** Drops tiles no read at or after the newest event can reach: those before floor_tile(maxT) - max window. */
export function pruneTiles(plan: TilePlan, st: TileState): void {
  if (st.maxT === null) return;
  const lo = Math.floor(st.maxT / plan.tileMs) * plan.tileMs - plan.maxWindowMs;
  let drop = 0;
  while (drop < st.t.length && st.t[drop]! < lo) drop++;
  if (drop === 0) return;
  st.t.splice(0, drop);
  for (const s of st.s) for (const arr of Object.values(s) as unknown[][]) arr.splice(0, drop);
}

function finishValue(f: TileFeature, v: unknown): FeatureValue {
  const c = coerceScalar(f.element, v);
  return c === undefined ? null : (c as FeatureValue);
}

/**
 * The value of feature `f` at time `atMs` (at or after the state's newest event): the tiles whose
 * start is in [floor_tile(atMs) - window, atMs]. Empty window: count 0, sum 0, last_n [], others null.
 */
export function evaluateFeature(plan: TilePlan, st: TileState, f: TileFeature, atMs: number): FeatureValue {
  return evaluateFeatureOver(plan, st, undefined, 0, f, atMs);
}

/**
 * evaluateFeature over `st`'s tiles followed by `more`'s from index `from` on (all later than `st`'s
 * last tile): a base row and its recent row (recent-row.ts) read as one sequence without joining them.
 */
export function evaluateFeatureOver(
  plan: TilePlan,
  st: TileState,
  more: TileState | undefined,
  from: number,
  f: TileFeature,
  atMs: number,
): FeatureValue {
  const lo = Math.floor(atMs / plan.tileMs) * plan.tileMs - f.windowMs;
  const a0 = firstAtOrAfter(st.t, lo, 0);
  const a1 = lastAtOrBefore(st.t, a0, atMs);
  const s = st.s[f.slot]!;
  const b0 = more ? firstAtOrAfter(more.t, lo, from) : 0;
  const b1 = more ? lastAtOrBefore(more.t, b0, atMs) : 0;
  // With no second span, `r` is never indexed (b0 === b1).
  const r = more ? more.s[f.slot]! : s;
  switch (f.fn) {
    case 'count': {
      let n = 0;
      for (let i = a0; i < a1; i++) n += s.c![i]!;
      for (let i = b0; i < b1; i++) n += r.c![i]!;
      return n;
    }
    case 'sum':
    case 'mean': {
      let n = 0;
      let total = 0;
      for (let i = a0; i < a1; i++) {
        n += s.c![i]!;
        total += s.s![i]!;
      }
      for (let i = b0; i < b1; i++) {
        n += r.c![i]!;
        total += r.s![i]!;
      }
      return f.fn === 'sum' ? total : n === 0 ? null : total / n;
    }
    case 'min':
    case 'max': {
      const best = extreme(r.m!, b0, b1, f.fn === 'min', extreme(s.m!, a0, a1, f.fn === 'min', null));
      return best === null ? null : finishValue(f, best);
    }
    case 'last': {
      for (let i = b1 - 1; i >= b0; i--) if (r.lt![i] !== null && r.lt![i] !== undefined) return finishValue(f, r.lv![i]);
      for (let i = a1 - 1; i >= a0; i--) if (s.lt![i] !== null && s.lt![i] !== undefined) return finishValue(f, s.lv![i]);
      return null;
    }
    case 'last_n': {
      const n = plan.slots[f.slot]!.n ?? 10;
      const out: FeatureValue[] = [];
      newestFirst(f, r.l!, b0, b1, n, out);
      newestFirst(f, s.l!, a0, a1, n, out);
      return out as FeatureValue;
    }
    case 'count_distinct': {
      if (a1 - a0 + b1 - b0 === 1) return (a1 > a0 ? s.d![a0]! : r.d![b0]!).length;
      const seen = new Set<unknown>();
      for (let i = a0; i < a1; i++) for (const v of s.d![i]!) seen.add(v);
      for (let i = b0; i < b1; i++) for (const v of r.d![i]!) seen.add(v);
      return seen.size;
    }
    case 'count_distinct_approx':
      return hllEstimate(b1 > b0 ? [...s.h!.slice(a0, a1), ...r.h!.slice(b0, b1)] : s.h!.slice(a0, a1));
  }
}

/** The first index at or after `from` whose tile starts at or after `lo` (binary search). */
function firstAtOrAfter(t: ArrayLike<number>, lo: number, from: number): number {
  let first = from;
  let hi = t.length;
  while (first < hi) {
    const mid = (first + hi) >>> 1;
    if (t[mid]! < lo) first = mid + 1;
    else hi = mid;
  }
  return first;
}

/** One past the last tile from `first` on that starts at or before `atMs`. */
function lastAtOrBefore(t: ArrayLike<number>, first: number, atMs: number): number {
  let last = t.length;
  while (last > first && t[last - 1]! > atMs) last--;
  return last;
}

function extreme(m: ArrayLike<number | null>, first: number, last: number, min: boolean, best: number | null): number | null {
  for (let i = first; i < last; i++) {
    const v = m[i];
    // NaN marks an empty tile in the binary row.
    if (v !== null && v !== undefined && v === v && (best === null || (min ? v < best : v > best))) best = v;
  }
  return best;
}

function newestFirst(
  f: TileFeature,
  l: Array<Array<[number, unknown]>>,
  first: number,
  last: number,
  n: number,
  out: FeatureValue[],
): void {
  for (let i = last - 1; i >= first && out.length < n; i--) {
    for (const [, v] of l[i]!) {
      if (out.length >= n) break;
      out.push(finishValue(f, v));
    }
  }
}

/** Every feature of the view (or the named ones) at time `atMs`. */
export function evaluateTiles(plan: TilePlan, st: TileState, atMs: number, names?: readonly string[]): Record<string, FeatureValue> {
  const out: Record<string, FeatureValue> = {};
  for (const f of names ? names.map((n) => plan.features[plan.byName.get(n)!]!) : plan.features)
    out[f.name] = evaluateFeature(plan, st, f, atMs);
  return out;
}

/** The value a feature has over an empty window (an entity with no events). */
export function emptyValue(f: TileFeature): FeatureValue {
  if (f.fn === 'count' || f.fn === 'count_distinct' || f.fn === 'count_distinct_approx' || f.fn === 'sum') return 0;
  if (f.fn === 'last_n' || isArrayType(f.dtype)) return [];
  return null;
}

const storage = new WeakMap<FeatureViewSpec, FeatureViewSpec>();

/** The spec an aggregation view's rows are stored online under: one hidden bytes column holding the tiles (encodeTileRow). */
export function tileStorageSpec(view: FeatureViewSpec): FeatureViewSpec {
  let s = storage.get(view);
  if (!s) {
    s = { ...view, features: [{ name: TILES_COLUMN, dtype: 'bytes', description: '', tags: {} }] };
    storage.set(view, s);
  }
  return s;
}

/** Serializes a state for the online store or the state store. */
export function encodeTiles(st: TileState): string {
  return JSON.stringify(st);
}

/** Parses a stored state. */
export function decodeTiles(text: string): TileState {
  return JSON.parse(text) as TileState;
}

/** The plan's lines for an aggregation view: its tile size, then each feature's function, column, window and filter. */
export function describeTiling(view: FeatureViewSpec): string[] {
  const t = view.tiling;
  if (!t) return [];
  const d = (s: number): string => formatDuration(s);
  const head = `tile size ${d(t.tileSeconds)}${t.allowedLatenessSeconds !== undefined ? `, allowed lateness ${d(t.allowedLatenessSeconds)}` : ''}`;
  const derived = Object.entries(t.derived).map(([n, e]) => `derived ${n} = ${e}`);
  const aggs = t.aggregations.map(
    (a) =>
      `aggregation ${a.name} = ${a.function}${a.function === 'last_n' ? `[${a.n}]` : ''}(${a.column ?? '*'}) over ${d(a.windowSeconds)}${a.filter ? ` where ${a.filter}` : ''}`,
  );
  return [head, ...derived, ...aggs];
}
