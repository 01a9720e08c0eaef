import type { FeatureViewSpec } from '../definitions/specs.js';
import { decodeTileRow } from './tile-row.js';
import { mergeTiles, tilesFrom, tileStorageSpec, type TilePlan, type TileState } from './tiles.js';

/**
 * The append-only half of an aggregation view's online rows (ADR 0098, addendum 2). The base row
 * (`tileStorageSpec`) holds the tiles of events before its `wm`; an incremental run writes, without
 * reading anything, a recent row holding the tiles of every event since the view's tile base (the end
 * of the last run that wrote base rows) up to its end, as its own `wm`. A read adds the recent row's
 * tiles at or after the base's `wm` to the base: tiles merge, so the split gives the same answer as
 * one row. A recent row whose `wm` is not past the base's adds nothing (it is stale: a later full or
 * compacting run wrote the base), and a base without `wm` (a stream worker owns it) ignores it.
 */

const recent = new WeakMap<FeatureViewSpec, FeatureViewSpec>();

/** The spec an aggregation view's recent rows are stored online under: the base layout under another view name. */
export function recentStorageSpec(view: FeatureViewSpec): FeatureViewSpec {
  let s = recent.get(view);
  if (!s) {
    s = { ...tileStorageSpec(view), name: `${view.name}${RECENT_SUFFIX}` };
    recent.set(view, s);
  }
  return s;
}

/** Appended to the view name for the recent rows' storage; Redis's teardown of a view removes `VIEW#*` keys with its own. */
export const RECENT_SUFFIX = '#recent';

/**
 * An entity's tiles from its base and recent rows (either may be absent). `mutable` as in
 * decodeTileRow. The recent tiles a read adds almost always start after the base's last tile
 * (base rows end at their `wm`), so they are appended; only a base tile at or past its `wm` (a full
 * run that ended inside a tile) needs a merge.
 */
export function decodeTileRows(plan: TilePlan, base: unknown, recentRow: unknown, mutable = false): TileState | undefined {
  const b = base instanceof Uint8Array ? decodeTileRow(plan, base, mutable) : undefined;
  if (!(recentRow instanceof Uint8Array)) return b;
  const r = decodeTileRow(plan, recentRow, mutable);
  if (!b) return r;
  if (b.wm === undefined || r.wm === undefined || r.wm <= b.wm) return b;
  const i = firstFrom(r.t, b.wm);
  if (i === r.t.length) {
    b.wm = r.wm;
    return b;
  }
  if (b.t.length === 0 || b.t[b.t.length - 1]! < r.t[i]!) return append(plan, b, r, i);
  const m = mutable ? b : decodeTileRow(plan, base as Uint8Array, true);
  mergeTiles(plan, m, tilesFrom(plan, mutable ? r : decodeTileRow(plan, recentRow, true), m.wm!));
  m.wm = r.wm;
  return m;
}

/**
 * An entity's tiles for a read: its base state and, when the recent tiles all start after the base's
 * last one (almost always), the recent state and the index of its first tile the read adds, left
 * apart for evaluateFeatureOver to scan after the base's (appending them cost a copy per array).
 */
export interface TileRows {
  st: TileState;
  more?: TileState;
  from: number;
  /** The newest event time of both. */
  maxT: number | null;
}

/** decodeTileRows for a read (immutable states): the same tiles, the recent ones not appended. */
export function readTileRows(plan: TilePlan, base: unknown, recentRow: unknown): TileRows | undefined {
  if (!(base instanceof Uint8Array) || !(recentRow instanceof Uint8Array)) {
    const st = decodeTileRows(plan, base, recentRow);
    return st && { st, from: 0, maxT: st.maxT };
  }
  const b = decodeTileRow(plan, base);
  const r = decodeTileRow(plan, recentRow);
  if (b.wm === undefined || r.wm === undefined || r.wm <= b.wm) return { st: b, from: 0, maxT: b.maxT };
  const i = firstFrom(r.t, b.wm);
  if (i === r.t.length) return { st: b, from: 0, maxT: b.maxT };
  if (b.t.length > 0 && b.t[b.t.length - 1]! >= r.t[i]!) {
    const st = decodeTileRows(plan, base, recentRow)!;
    return { st, from: 0, maxT: st.maxT };
  }
  const maxT = r.maxT !== null && (b.maxT === null || r.maxT > b.maxT) ? r.maxT : b.maxT;
  return { st: b, more: r, from: i, maxT };
}

function firstFrom(t: ArrayLike<number>, wm: number): number {
  let i = 0;
  while (i < t.length && t[i]! < wm) i++;
  return i;
}

/** `b` with `r`'s tiles from index i appended (all later than b's last tile). */
function append(plan: TilePlan, b: TileState, r: TileState, i: number): TileState {
  const out: TileState = { ...b, t: join(b.t, r.t, i), s: [], wm: r.wm };
  if (r.maxT !== null && (b.maxT === null || r.maxT > b.maxT)) out.maxT = r.maxT;
  for (let j = 0; j < plan.slots.length; j++) {
    const x = b.s[j]!;
    const y = r.s[j]! as Record<string, ArrayLike<unknown>>;
    const slot: Record<string, unknown> = {};
    for (const k of Object.keys(x)) slot[k] = join((x as Record<string, ArrayLike<unknown>>)[k]!, y[k]!, i);
    out.s.push(slot);
  }
  return out;
}

/** a followed by b[i..]: plain arrays grow in place (mutable states); typed arrays are copied into a Float64Array. */
function join<T>(a: ArrayLike<T>, b: ArrayLike<T>, i: number): T[] {
  if (Array.isArray(a)) {
    for (let k = i; k < b.length; k++) a.push(b[k]!);
    return a;
  }
  const out = new Float64Array(a.length + b.length - i);
  out.set(a as unknown as ArrayLike<number>);
  for (let k = i; k < b.length; k++) out[a.length + k - i] = b[k] as unknown as number;
  return out as unknown as T[];
}
