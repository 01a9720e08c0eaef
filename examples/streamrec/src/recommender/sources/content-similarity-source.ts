import type { RetrievalContext, RetrievalSource } from './retrieval-source.js';
import { topK } from '@frec/model-serving/item-index';
import type { ItemId, ScoredItem } from '../types.js';

/**
 * Content similarity: items whose content vector (genres multi-hot, tag vector) is closest
 * (cosine) to the mean vector of the user's recent items. A brute-force scan over normalised
 * vectors: ~10k items x ~30 dims is well under a millisecond, so no index is needed. Vectors are
 * held as sparse rows (CSR): a multi-hot genre vector has 2-4 non-zeros out of ~20, so the scan
 * does a fifth of the multiplications of a dense one.
 */
export class ContentSimilaritySource implements RetrievalSource {
  readonly name = 'content';
  readonly version: string;
  private readonly ids: ItemId[];
  private readonly row = new Map<ItemId, number>();
  private readonly dim: number;
  /** CSR layout of the normalised vectors: row r's entries are rowStart[r]..rowStart[r+1]. */
  private readonly rowStart: Int32Array;
  private readonly col: Int32Array;
  private readonly val: Float32Array;
  // Reused between calls: the scan is synchronous, so no two calls share it at once.
  private readonly scores: Float32Array;

  constructor(items: ReadonlyArray<{ id: ItemId; vector: ArrayLike<number> }>, options: { version?: string; recent?: number } = {}) {
    this.version = options.version ?? 'content';
    this.dim = items[0]?.vector.length ?? 0;
    this.ids = items.map((i) => i.id);
    this.rowStart = new Int32Array(items.length + 1);
    const cols: number[] = [];
    const vals: number[] = [];
    items.forEach((item, r) => {
      this.row.set(item.id, r);
      let norm = 0;
      for (let j = 0; j < this.dim; j++) norm += (item.vector[j] ?? 0) ** 2;
      const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
      for (let j = 0; j < this.dim; j++) {
        const v = (item.vector[j] ?? 0) * inv;
        if (v === 0) continue;
        cols.push(j);
        vals.push(v);
      }
      this.rowStart[r + 1] = cols.length;
    });
    this.col = Int32Array.from(cols);
    this.val = Float32Array.from(vals);
    this.scores = new Float32Array(items.length);
    this.recent = options.recent ?? 10;
  }

  private readonly recent: number;

  async retrieve(ctx: RetrievalContext, k: number): Promise<ScoredItem[]> {
    const features = await ctx.features;
    const recent = features.recentItems.slice(-this.recent).filter((id) => this.row.has(id));
    if (recent.length === 0) return [];
    const { rowStart, col, val, scores } = this;
    const profile = new Float32Array(this.dim);
    for (const id of recent) {
      const r = this.row.get(id)!;
      for (let e = rowStart[r]!; e < rowStart[r + 1]!; e++) profile[col[e]!]! += val[e]!;
    }
    const n = this.ids.length;
    for (let r = 0; r < n; r++) {
      let s = 0;
      const end = rowStart[r + 1]!;
      for (let e = rowStart[r]!; e < end; e++) s += val[e]! * profile[col[e]!]!;
      scores[r] = s;
    }
    // The user's own items are excluded by score: topK skips non-finite values.
    for (const id of recent) scores[this.row.get(id)!] = -Infinity;
    return topK(scores, k).map((i) => ({ itemId: this.ids[i]!, score: scores[i]! / recent.length }));
  }
}
