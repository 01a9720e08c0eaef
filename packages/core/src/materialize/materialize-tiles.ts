import { recentStorageSpec } from '../aggregations/recent-row.js';
import { decodeTileRow, encodeTileRow } from '../aggregations/tile-row.js';
import { mergeTiles, planTiles, pruneTiles, tilesFrom, tileStorageSpec, TILES_COLUMN, type TileState } from '../aggregations/tiles.js';
import type { FeatureViewSpec } from '../definitions/specs.js';
import { ErrorCode, StoreError } from '../errors.js';
import type { OfflineStore } from '../stores/offline-store.js';
import type { OnlineStore, OnlineWriteRow } from '../stores/online-store.js';
import type { ProgressTracker } from './progress.js';

/** What materializing an aggregation view did. */
export interface TiledMaterializeCounts {
  rows: number;
  written: number;
  skippedOlder: number;
}

/**
 * How a run writes: `full` rewrites the base rows from the tiles of [start, end); `compact` merges
 * the tiles of [start, end) (start: the view's tile base, so they include every recent row's) into
 * the base rows it reads, past each row's `wm`; `recent` writes the recent rows (recent-row.ts) from
 * the tiles of [start, end) without reading anything, so its cost follows the events, not the rows.
 */
export type TiledWriteMode = 'full' | 'compact' | 'recent';

/**
 * Materializes an aggregation view: the offline store tiles the events of [start, end) day by day,
 * and each entity's tiles are written online as one row, remembering in `wm` the tile boundary up to
 * which batch runs have covered it. `compact` adds only the new tiles at or after that boundary to
 * the tiles already online, so a rerun after a crash (with any END) skips what the crashed run had
 * merged and ends where a clean run does; `recent` rows are whole (every event since the tile base),
 * so a rerun overwrites them. Rows a stream worker owns (no `wm`) are left to it.
 */
export async function materializeTiles(
  project: string,
  offline: OfflineStore,
  online: OnlineStore,
  view: FeatureViewSpec,
  start: Date,
  end: Date,
  options: { mode: TiledWriteMode; batchSize: number; tracker: ProgressTracker },
): Promise<TiledMaterializeCounts> {
  if (!offline.pullTiles) {
    throw new StoreError(
      ErrorCode.INVALID_USAGE,
      `Offline store '${offline.type}' cannot compute the tiles of aggregation view '${view.name}'.`,
      {
        where: { featureView: view.name },
        hint: 'Use an offline store that implements pullTiles (the duckdb store does).',
      },
    );
  }
  const plan = planTiles(view);
  const storage = options.mode === 'recent' ? recentStorageSpec(view) : tileStorageSpec(view);
  const wm = Math.floor(end.getTime() / plan.tileMs) * plan.tileMs;
  const counts: TiledMaterializeCounts = { rows: 0, written: 0, skippedOlder: 0 };
  const batches = offline.pullTiles(view, start, end, {
    batchSize: options.batchSize,
    onProgress: (p) => options.tracker.tiledDay({ date: p.day, done: p.done, total: p.total }),
  });
  for await (const batch of batches) {
    let states: Array<TileState | null> = batch.states;
    if (options.mode === 'compact') {
      // The recent rows need no reading: these tiles start at the tile base, so they hold every recent row's events.
      const [base] = await online.readColumnsMany(project, [{ view: storage, keys: batch.keys, features: [TILES_COLUMN] }]);
      states = batch.states.map((fresh, i) => {
        const bytes = base!.values[0]![i];
        if (!(bytes instanceof Uint8Array)) return fresh;
        const old = decodeTileRow(plan, bytes, true);
        if (old.wm === undefined) return null;
        mergeTiles(plan, old, tilesFrom(plan, fresh, old.wm));
        old.wm = Math.max(old.wm, wm);
        return old;
      });
    }
    const now = Date.now();
    const rows: OnlineWriteRow[] = [];
    states.forEach((st, i) => {
      if (!st || st.maxT === null) return;
      pruneTiles(plan, st);
      st.wm ??= wm;
      rows.push({ key: batch.keys[i]!, values: { [TILES_COLUMN]: encodeTileRow(plan, st) }, eventTimeMs: st.maxT, createdTimeMs: now });
    });
    const r = rows.length > 0 ? await online.write(project, storage, rows) : { written: 0, skippedOlder: 0 };
    counts.rows += batch.keys.length;
    counts.written += r.written;
    counts.skippedOlder += r.skippedOlder;
    options.tracker.advance(batch.keys.length);
  }
  return counts;
}
