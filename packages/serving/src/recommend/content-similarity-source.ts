import type { RetrievalContext, RetrievalSource } from './retrieval-source.js';
import { topK } from './top-k.js';
import type { ItemId, ScoredItem } from './types.js';

/**
 * Content similarity: items whose content vector (genres multi-hot, tag vector) is closest
 * (cosine) to the mean vector of the user's recent items. A brute-force scan over normalised
 * vectors: ~10k items x ~30 dims is well under a millisecond, so no index is needed.
 */
export class ContentSimilaritySource implements RetrievalSource {
  readonly name = 'content';
  readonly version: string;
  private readonly ids: ItemId[];
  private readonly row = new Map<ItemId, number>();
  private readonly matrix: Float32Array;
  private readonly dim: number;

  constructor(items: ReadonlyArray<{ id: ItemId; vector: ArrayLike<number> }>, options: { version?: string; recent?: number } = {}) {
    this.version = options.version ?? 'content';
    this.dim = items[0]?.vector.length ?? 0;
    this.ids = items.map((i) => i.id);
    this.matrix = new Float32Array(items.length * this.dim);
    items.forEach((item, r) => {
      this.row.set(item.id, r);
      let norm = 0;
      for (let j = 0; j < this.dim; j++) norm += (item.vector[j] ?? 0) ** 2;
      const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
      for (let j = 0; j < this.dim; j++) this.matrix[r * this.dim + j] = (item.vector[j] ?? 0) * inv;
    });
    this.recent = options.recent ?? 10;
  }

  private readonly recent: number;

  async retrieve(ctx: RetrievalContext, k: number): Promise<ScoredItem[]> {
    const features = await ctx.features;
    const recent = features.recentItems.slice(-this.recent).filter((id) => this.row.has(id));
    if (recent.length === 0) return [];
    const d = this.dim;
    const profile = new Float32Array(d);
    for (const id of recent) {
      const r = this.row.get(id)!;
      for (let j = 0; j < d; j++) profile[j]! += this.matrix[r * d + j]!;
    }
    const n = this.ids.length;
    const scores = new Float32Array(n);
    for (let r = 0; r < n; r++) {
      let s = 0;
      const base = r * d;
      for (let j = 0; j < d; j++) s += this.matrix[base + j]! * profile[j]!;
      scores[r] = s;
    }
    const own = new Set(recent.map((id) => this.row.get(id)!));
    return topK(scores, k, (i) => own.has(i)).map((i) => ({ itemId: this.ids[i]!, score: scores[i]! / recent.length }));
  }
}
