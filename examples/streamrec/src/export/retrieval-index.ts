import { ExactItemIndex, HnswItemIndex, saveItemIndex, type AnnManifest, type BuildHnswOptions } from '@frec/model-serving/item-index';

/** Options of saveRetrievalIndex. */
export interface SaveRetrievalIndexOptions {
  /** Folder holding the index versions (e.g. `<artifacts>/ann`). */
  rootDir: string;
  /** Catalog item ids, in the row order of itemEmbeddings. */
  itemIds: readonly (number | string)[];
  /** Item tower output, itemIds.length x dim (L2-normalized). */
  itemEmbeddings: Float32Array;
  dim: number;
  /** Default 'hnsw' (ADR 0061). */
  kind?: 'hnsw' | 'exact';
  hnsw?: BuildHnswOptions;
  /** Provenance for the manifest, e.g. { model: 'two_tower', modelVersion: '3' }. */
  metadata?: Record<string, string>;
  version?: string;
}

/**
 * Builds the retrieval index over the item tower's embeddings and saves it as a new checksummed version.
 *
 * @example
 * const manifest = await saveRetrievalIndex({ rootDir: 'artifacts/ann', itemIds, itemEmbeddings, dim: 32 });
 */
export async function saveRetrievalIndex(opts: SaveRetrievalIndexOptions): Promise<AnnManifest> {
  const index =
    opts.kind === 'exact'
      ? ExactItemIndex.build(opts.itemIds, opts.itemEmbeddings, opts.dim)
      : HnswItemIndex.build(opts.itemIds, opts.itemEmbeddings, opts.dim, opts.hnsw ?? {});
  return saveItemIndex(opts.rootDir, index, {
    ...(opts.metadata ? { metadata: opts.metadata } : {}),
    ...(opts.version ? { version: opts.version } : {}),
  });
}
