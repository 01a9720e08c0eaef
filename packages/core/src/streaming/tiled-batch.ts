import { encodeTileRow } from '../aggregations/tile-row.js';
import { emptyTiles, mergeTiles, planTiles, pruneTiles, TILES_COLUMN, type TileState } from '../aggregations/tiles.js';
import type { FeatureViewSpec } from '../definitions/specs.js';
import { ErrorCode, StoreError } from '../errors.js';
import type { OfflineStore, TileEvent } from '../stores/offline-store.js';
import type { OnlineWriteRow } from '../stores/online-store.js';
import { compareIds, RECENT_IDS } from './aggregate-state.js';

/** One entity's events of a batch, in arrival order. */
export interface TiledGroup {
  key: Array<string | number>;
  events: Array<{ id: string; timeMs: number; values: Record<string, unknown> }>;
}

/** Whether a stream ID is among (or, once the memory is full, older than all of) the remembered ones. */
function seen(ids: readonly string[], id: string): boolean {
  if (ids.includes(id)) return true;
  if (ids.length < RECENT_IDS) return false;
  let min = ids[0]!;
  for (const x of ids) if (compareIds(x, min) < 0) min = x;
  return compareIds(id, min) < 0;
}

/** What folding one batch into the entities' tiles did. */
export interface TiledFold {
  applied: number;
  replayed: number;
  late: number;
  changed: Set<string>;
}

/**
 * Folds a batch of an aggregation view's stream events into the entities' tile states (mutating
 * them): replays (known IDs) are skipped, events older than the entity's newest by more than the
 * allowed lateness are dropped and counted, and the rest are tiled by the offline store's statement
 * (`tileEvents`, the batch path's SQL) and merged in arrival order.
 */
export async function foldTiledBatch(
  offline: OfflineStore,
  view: FeatureViewSpec,
  groups: ReadonlyMap<string, TiledGroup>,
  states: ReadonlyMap<string, TileState>,
): Promise<TiledFold> {
  if (!offline.tileEvents) {
    throw new StoreError(
      ErrorCode.STREAM_ERROR,
      `Offline store '${offline.type}' cannot tile the events of aggregation view '${view.name}'.`,
      {
        where: { featureView: view.name },
        hint: 'Use an offline store that implements tileEvents (the duckdb store does).',
      },
    );
  }
  const plan = planTiles(view);
  const fold: TiledFold = { applied: 0, replayed: 0, late: 0, changed: new Set() };
  const kept: TileEvent[] = [];
  for (const [k, g] of groups) {
    const st = states.get(k)!;
    const ids = (st.ids ??= []);
    let newest = st.maxT ?? Number.NEGATIVE_INFINITY;
    for (const e of g.events) {
      if (seen(ids, e.id)) {
        fold.replayed++;
        continue;
      }
      ids.push(e.id);
      if (ids.length > RECENT_IDS) ids.splice(0, ids.length - RECENT_IDS);
      fold.changed.add(k);
      if (plan.latenessMs !== null && e.timeMs < newest - plan.latenessMs) {
        st.late = (st.late ?? 0) + 1;
        fold.late++;
        continue;
      }
      newest = Math.max(newest, e.timeMs);
      kept.push({ key: g.key, timeMs: e.timeMs, values: e.values });
      fold.applied++;
      st.applied = (st.applied ?? 0) + 1;
    }
  }
  if (kept.length > 0) {
    const tiled = await offline.tileEvents(view, kept);
    tiled.keys.forEach((key, i) => {
      const k = key.length === 1 ? String(key[0]) : JSON.stringify(key);
      const st = states.get(k);
      if (!st) return;
      mergeTiles(plan, st, tiled.states[i]!);
      pruneTiles(plan, st);
    });
  }
  return fold;
}

/** A fresh state for an entity the state store does not know yet. */
export function newTileState(view: FeatureViewSpec): TileState {
  return emptyTiles(planTiles(view));
}

/** The online row of an entity's tiles. */
export function tiledOnlineRow(view: FeatureViewSpec, key: Array<string | number>, st: TileState, now: number): OnlineWriteRow {
  return { key, values: { [TILES_COLUMN]: encodeTileRow(planTiles(view), st) }, eventTimeMs: st.maxT!, createdTimeMs: now };
}
