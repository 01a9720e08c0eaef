import type { Catalog } from './sources/retrieval-source.js';
import type { ItemId, ScoredItem } from './types.js';

/** A merged candidate: one per item, with every source that found it. */
export interface Candidate {
  itemId: ItemId;
  /** Fused retrieval score in (0, 1]: reciprocal-rank fusion, scaled so the best candidate is 1. */
  retrievalScore: number;
  sources: string[];
}

/** Result of merging: the candidates plus what was dropped and why. */
export interface MergeResult {
  candidates: Candidate[];
  /** Items proposed by a source but absent from the catalog (dropped). */
  droppedNotInCatalog: number;
  /** Items dropped because the merged list was over `limit`. */
  droppedOverLimit: number;
}

/** Constant of reciprocal-rank fusion; 60 is the value from Cormack et al. (2009). */
const RRF_K = 60;

/**
 * Merges per-source lists into one deduplicated list of at most `limit` candidates. Scores of
 * different sources are not comparable (cosine vs counts), so they are fused by rank (RRF);
 * an item found by several sources sums its contributions. Items not in the catalog are dropped
 * before they can reach ranking or the response.
 */
export function mergeCandidates(
  lists: ReadonlyArray<{ source: string; items: readonly ScoredItem[] }>,
  catalog: Catalog,
  limit = 500,
): MergeResult {
  const byId = new Map<ItemId, Candidate & { fused: number }>();
  let droppedNotInCatalog = 0;
  for (const { source, items } of lists) {
    for (let rank = 0; rank < items.length; rank++) {
      const id = items[rank]!.itemId;
      if (!catalog.has(id)) {
        droppedNotInCatalog++;
        continue;
      }
      const contribution = 1 / (RRF_K + rank + 1);
      const c = byId.get(id);
      if (c) {
        c.fused += contribution;
        if (!c.sources.includes(source)) c.sources.push(source);
      } else {
        byId.set(id, { itemId: id, retrievalScore: 0, sources: [source], fused: contribution });
      }
    }
  }
  const all = [...byId.values()].sort((a, b) => b.fused - a.fused);
  const kept = all.slice(0, limit);
  const best = kept[0]?.fused ?? 1;
  const candidates = kept.map((c) => ({ itemId: c.itemId, retrievalScore: c.fused / best, sources: c.sources }));
  return { candidates, droppedNotInCatalog, droppedOverLimit: all.length - kept.length };
}
