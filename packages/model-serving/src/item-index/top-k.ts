/**
 * Indices of the `k` largest values, best first (ties: lower index first), skipping non-finite
 * values and indices in `exclude`. A bounded min-heap in typed arrays keeps it O(n log k) with no
 * allocation per element, which matters when scanning a whole catalog per request.
 */
export function topK(scores: ArrayLike<number>, k: number, exclude?: (index: number) => boolean): number[] {
  if (k <= 0) return [];
  const heapIdx = new Int32Array(k);
  const heapVal = new Float64Array(k);
  let size = 0;
  for (let i = 0; i < scores.length; i++) {
    const v = scores[i]!;
    if (!Number.isFinite(v) || (exclude && exclude(i))) continue;
    if (size < k) {
      // Sift up.
      let c = size++;
      while (c > 0) {
        const p = (c - 1) >> 1;
        if (heapVal[p]! <= v) break;
        heapIdx[c] = heapIdx[p]!;
        heapVal[c] = heapVal[p]!;
        c = p;
      }
      heapIdx[c] = i;
      heapVal[c] = v;
    } else if (v > heapVal[0]!) {
      // Replace the minimum and sift down.
      let p = 0;
      for (;;) {
        const l = 2 * p + 1;
        if (l >= k) break;
        const r = l + 1;
        const m = r < k && heapVal[r]! < heapVal[l]! ? r : l;
        if (heapVal[m]! >= v) break;
        heapIdx[p] = heapIdx[m]!;
        heapVal[p] = heapVal[m]!;
        p = m;
      }
      heapIdx[p] = i;
      heapVal[p] = v;
    }
  }
  const order = Array.from(heapIdx.subarray(0, size));
  order.sort((a, b) => Number(scores[b]!) - Number(scores[a]!) || a - b);
  return order;
}
