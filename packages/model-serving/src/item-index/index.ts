/**
 * The item index retrieval searches: exact or HNSW (usearch), saved as checksummed versions (ADR 0061).
 *
 * @example
 * const index = HnswItemIndex.build(itemIds, itemVectors, 32);
 * await saveItemIndex('artifacts/ann', index);
 * const { index: served, skipped } = await loadItemIndexWithFallback('artifacts/ann');
 */
export type { ItemId, ScoredItem, ItemIndex, ItemIndexKind, ItemIndexMetric, BuildItemIndexOptions } from './item-index.js';
export { l2Normalize } from './item-index.js';
export { topK } from './top-k.js';
export { ExactItemIndex } from './exact/exact-item-index.js';
export { HnswItemIndex, DEFAULT_HNSW_SETTINGS, type HnswSettings, type BuildHnswOptions } from './hnsw/hnsw-item-index.js';
export { AnnErrorCode, AnnIndexError, AnnInputError } from './item-index-errors.js';
export { ANN_MANIFEST_FORMAT, annManifestSchema, type AnnManifest } from './item-index-manifest.js';
export {
  saveItemIndex,
  loadItemIndex,
  loadPreviousItemIndex,
  loadItemIndexWithFallback,
  listItemIndexVersions,
  type SaveItemIndexOptions,
  type LoadedItemIndex,
  type FallbackLoad,
} from './item-index-store.js';
export { recallAtK } from './recall.js';
