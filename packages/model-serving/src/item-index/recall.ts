import type { ItemIndex } from './item-index.js';

/** Mean fraction of the exact top-k that the approximate index also returns, over m queries (m x dim, row-major). */
export function recallAtK(exact: ItemIndex, approx: ItemIndex, queries: Float32Array, k: number): number {
  const dim = exact.dim;
  const m = queries.length / dim;
  if (m === 0) return 1;
  let total = 0;
  for (let r = 0; r < m; r++) {
    const q = queries.subarray(r * dim, (r + 1) * dim);
    const truth = new Set(exact.search(q, k).map((h) => h.itemId));
    if (truth.size === 0) {
      total += 1;
      continue;
    }
    let hit = 0;
    for (const h of approx.search(q, k)) if (truth.has(h.itemId)) hit++;
    total += hit / truth.size;
  }
  return total / m;
}
