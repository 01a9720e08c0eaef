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
 * decodeTileRow; when the recent row applies the result is always mutable (plain arrays).
 */
export function decodeTileRows(plan: TilePlan, base: unknown, recentRow: unknown, mutable = false): TileState | undefined {
  const b = base instanceof Uint8Array ? decodeTileRow(plan, base, mutable) : undefined;
  if (!(recentRow instanceof Uint8Array)) return b;
  const r = decodeTileRow(plan, recentRow, true);
  if (!b) return r;
  if (b.wm === undefined || r.wm === undefined || r.wm <= b.wm) return b;
  const out = mutable ? b : decodeTileRow(plan, base as Uint8Array, true);
  mergeTiles(plan, out, tilesFrom(plan, r, out.wm!));
  out.wm = r.wm;
  return out;
}
