/** An item's id: the catalog's primary key (a product SKU, a movie id...). */
export type ItemId = number | string;

/** An item with a similarity or relevance score; lists of them are best first. */
export interface ScoredItem {
  itemId: ItemId;
  score: number;
}

/** Index implementations: exact brute force, or HNSW graph search (usearch). */
export type ItemIndexKind = 'exact' | 'hnsw';

/** Similarity: cosine (vectors and queries L2-normalized) or raw inner product. */
export type ItemIndexMetric = 'cosine' | 'ip';

/**
 * The item index retrieval searches: nearest items to a query vector by similarity (higher is
 * closer).
 */
export interface ItemIndex {
  readonly kind: ItemIndexKind;
  readonly metric: ItemIndexMetric;
  readonly dim: number;
  readonly size: number;
  /** Version of the saved index it was loaded from (undefined until saved or loaded). */
  version?: string;
  /** Up to k items, best first. */
  search(query: Float32Array, k: number): ScoredItem[];
  /** search() for m queries stored row-major (m x dim). */
  searchMany(queries: Float32Array, k: number): ScoredItem[][];
  /** The item ids, in row order. */
  readonly ids: readonly ItemId[];
  /** Writes the index's data files into `dir`; returns their names (checksummed by the store). */
  writeFiles(dir: string): Promise<string[]>;
  /** Kind-specific settings recorded in the manifest (e.g. HNSW connectivity). */
  settings(): Record<string, number>;
}

/** Options shared by every index build. */
export interface BuildItemIndexOptions {
  metric?: ItemIndexMetric;
}

/** Returns `v` scaled to unit L2 norm (a zero vector stays zero). */
export function l2Normalize(v: Float32Array, dim: number): Float32Array {
  const out = new Float32Array(v.length);
  for (let r = 0; r < v.length / dim; r++) {
    let s = 0;
    for (let k = 0; k < dim; k++) s += v[r * dim + k]! * v[r * dim + k]!;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let k = 0; k < dim; k++) out[r * dim + k] = v[r * dim + k]! * inv;
  }
  return out;
}
