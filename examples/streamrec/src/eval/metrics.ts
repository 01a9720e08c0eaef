import type { ItemExclusion } from './catalog-at.js';

/** Recall@k: the share of a user's held-out items found in the top k. */
export function recallAtK(ranked: ArrayLike<number>, relevant: ReadonlySet<number>, k: number): number {
  if (relevant.size === 0) return 0;
  let hits = 0;
  const n = Math.min(k, ranked.length);
  for (let i = 0; i < n; i++) if (relevant.has(ranked[i]!)) hits++;
  return hits / relevant.size;
}

/** NDCG@k with binary relevance: DCG of the top k over the DCG of an ideal ranking. */
export function ndcgAtK(ranked: ArrayLike<number>, relevant: ReadonlySet<number>, k: number): number {
  if (relevant.size === 0) return 0;
  let dcg = 0;
  const n = Math.min(k, ranked.length);
  for (let i = 0; i < n; i++) if (relevant.has(ranked[i]!)) dcg += 1 / Math.log2(i + 2);
  let idcg = 0;
  for (let i = 0; i < Math.min(k, relevant.size); i++) idcg += 1 / Math.log2(i + 2);
  return dcg / idcg;
}

/**
 * The indexes of the k largest scores, best first, skipping `exclude`; ties break by lower index
 * so rankings are reproducible. O(n log k) with a small binary heap.
 */
export function topK(scores: Float32Array | Float64Array, k: number, exclude?: ItemExclusion): Int32Array {
  const heapIx = new Int32Array(k);
  const heapSc = new Float64Array(k);
  let size = 0;
  // Min-heap on (score, -index): the root is the weakest kept item.
  const weaker = (a: number, b: number): boolean => heapSc[a]! < heapSc[b]! || (heapSc[a] === heapSc[b] && heapIx[a]! > heapIx[b]!);
  const swap = (a: number, b: number): void => {
    const ti = heapIx[a]!;
    heapIx[a] = heapIx[b]!;
    heapIx[b] = ti;
    const ts = heapSc[a]!;
    heapSc[a] = heapSc[b]!;
    heapSc[b] = ts;
  };
  const down = (i: number): void => {
    for (;;) {
      const l = 2 * i + 1,
        r = l + 1;
      let m = i;
      if (l < size && weaker(l, m)) m = l;
      if (r < size && weaker(r, m)) m = r;
      if (m === i) return;
      swap(i, m);
      i = m;
    }
  };
  // The exclusion test (a closure over the catalog rule and the seen set) runs only for items that
  // would enter the heap: once it is full, that is a few hundred of ~10,000.
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i]!;
    if (size < k) {
      if (exclude?.has(i)) continue;
      heapIx[size] = i;
      heapSc[size] = s;
      size++;
      for (let j = size - 1; j > 0;) {
        const p = (j - 1) >> 1;
        if (!weaker(j, p)) break;
        swap(j, p);
        j = p;
      }
    } else if (k > 0 && (s > heapSc[0]! || (s === heapSc[0] && i < heapIx[0]!))) {
      if (exclude?.has(i)) continue;
      heapIx[0] = i;
      heapSc[0] = s;
      down(0);
    }
  }
  const order = Array.from({ length: size }, (_, i) => i).sort((a, b) => heapSc[b]! - heapSc[a]! || heapIx[a]! - heapIx[b]!);
  return Int32Array.from(order.map((i) => heapIx[i]!));
}
