import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { checkBuildInput, checkQuery } from '../check-input.js';
import {
  l2Normalize,
  type BuildItemIndexOptions,
  type ItemId,
  type ItemIndex,
  type ItemIndexMetric,
  type ScoredItem,
} from '../item-index.js';
import { topK } from '../top-k.js';

/** Exact search: scores every item (dim multiply-adds each) and keeps the top k with the shared bounded heap. */
export class ExactItemIndex implements ItemIndex {
  readonly kind = 'exact' as const;
  version?: string;

  private constructor(
    readonly ids: readonly ItemId[],
    private readonly vectors: Float32Array,
    readonly dim: number,
    readonly metric: ItemIndexMetric,
  ) {}

  /** Builds an exact index over row-major vectors (ids.length x dim); cosine normalizes them first. */
  static build(ids: readonly ItemId[], vectors: Float32Array, dim: number, opts: BuildItemIndexOptions = {}): ExactItemIndex {
    checkBuildInput(ids, vectors, dim);
    const metric = opts.metric ?? 'cosine';
    return new ExactItemIndex([...ids], metric === 'cosine' ? l2Normalize(vectors, dim) : Float32Array.from(vectors), dim, metric);
  }

  /** Recreates an index from saved vectors (already normalized when cosine). */
  static fromVectors(ids: readonly ItemId[], vectors: Float32Array, dim: number, metric: ItemIndexMetric): ExactItemIndex {
    return new ExactItemIndex(ids, vectors, dim, metric);
  }

  get size(): number {
    return this.ids.length;
  }

  search(query: Float32Array, k: number): ScoredItem[] {
    checkQuery(query, this.dim, k);
    const q = this.metric === 'cosine' ? l2Normalize(query, this.dim) : query;
    const kk = Math.min(k, this.ids.length);
    if (kk === 0) return [];
    const { dim, vectors } = this;
    const scores = new Float64Array(this.ids.length);
    for (let r = 0; r < this.ids.length; r++) {
      let s = 0;
      const base = r * dim;
      for (let j = 0; j < dim; j++) s += vectors[base + j]! * q[j]!;
      scores[r] = s;
    }
    return topK(scores, kk).map((r) => ({ itemId: this.ids[r]!, score: scores[r]! }));
  }

  searchMany(queries: Float32Array, k: number): ScoredItem[][] {
    const out: ScoredItem[][] = [];
    for (let r = 0; r * this.dim < queries.length; r++) out.push(this.search(queries.subarray(r * this.dim, (r + 1) * this.dim), k));
    return out;
  }

  async writeFiles(dir: string): Promise<string[]> {
    const v = this.vectors;
    await writeFile(path.join(dir, 'vectors.f32'), new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
    return ['vectors.f32'];
  }

  settings(): Record<string, number> {
    return {};
  }
}
