import type { RetrievalContext, RetrievalSource } from './retrieval-source.js';
import type { ItemId, ScoredItem, UserFeatures } from '../types.js';

/** The small part of an item index that retrieval needs: nearest items to a query vector (an ItemIndex of @frec/model-serving fits). */
export interface VectorIndex {
  /** Up to `k` nearest items, best first, with similarity scores (higher is closer). */
  search(query: Float32Array, k: number): Promise<ScoredItem[]> | ScoredItem[];
  /** Version of the index (reported in responses). */
  readonly version?: string;
}

/** Options of the two-tower ANN source. */
export interface AnnSourceOptions {
  /** The item index; a getter lets the index be swapped (reloaded after corruption) at run time. */
  index: VectorIndex | (() => VectorIndex);
  /** The user tower: features to a query vector. */
  userVector: (features: UserFeatures, userId: string | number) => Promise<Float32Array> | Float32Array;
  version?: string;
}

/** Two-tower retrieval: the user tower's vector searched in the item index (exact or HNSW). */
export class AnnSource implements RetrievalSource {
  readonly name = 'two_tower';

  constructor(private readonly options: AnnSourceOptions) {}

  get version(): string {
    return this.options.version ?? this.index().version ?? 'two-tower';
  }

  private index(): VectorIndex {
    const i = this.options.index;
    return typeof i === 'function' ? i() : i;
  }

  async retrieve(ctx: RetrievalContext, k: number): Promise<ScoredItem[]> {
    const features = await ctx.features;
    const q = await this.options.userVector(features, ctx.userId);
    const seen = new Set<ItemId>(features.recentItems);
    const hits = await this.index().search(q, k + seen.size);
    return hits.filter((h) => !seen.has(h.itemId)).slice(0, k);
  }
}
