import { ensembleDim, ensembleUserForward, type TowerEnsemble } from '../models/index.js';
import { historyQuery, type HistoryQueryParams } from '../retrieval/index.js';
import { recentItemRows } from '../training-sets/vectorize.js';

/**
 * The served retrieval query of one user, as the pipeline trained and evaluated it: the user
 * tower's embedding plus the recency-weighted mean embedding of `row.last_10_items` (newest first,
 * the order the stream feature stores and the decay assumes).
 */
export function servedUserQuery(
  tower: { params: TowerEnsemble; history: HistoryQueryParams },
  userIndex: number,
  userVector: Float32Array,
  row: Record<string, unknown>,
  itemRows: ReadonlyMap<number, number>,
  itemEmbeddings: Float32Array,
): Float32Array {
  const u = ensembleUserForward(tower.params, Int32Array.of(userIndex), userVector);
  const recent = recentItemRows(row, itemRows);
  return historyQuery(u, 0, ensembleDim(tower.params), itemEmbeddings, recent, tower.history.weight, undefined, tower.history.decay);
}
