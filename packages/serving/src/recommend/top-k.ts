/**
 * Indices of the `k` largest values, best first, skipping indices in `exclude`. A bounded
 * min-heap keeps it O(n log k), which matters when scanning a whole catalog per request.
 */
export function topK(scores: ArrayLike<number>, k: number, exclude?: (index: number) => boolean): number[] {
  const heapIdx: number[] = [];
  const heapVal: number[] = [];
  const swap = (a: number, b: number): void => {
    [heapIdx[a], heapIdx[b]] = [heapIdx[b]!, heapIdx[a]!];
    [heapVal[a], heapVal[b]] = [heapVal[b]!, heapVal[a]!];
  };
  for (let i = 0; i < scores.length; i++) {
    const v = scores[i]!;
    if (!Number.isFinite(v) || (exclude && exclude(i))) continue;
    if (heapIdx.length < k) {
      heapIdx.push(i);
      heapVal.push(v);
      let c = heapIdx.length - 1;
      while (c > 0) {
        const p = (c - 1) >> 1;
        if (heapVal[p]! <= heapVal[c]!) break;
        swap(p, c);
        c = p;
      }
    } else if (k > 0 && v > heapVal[0]!) {
      heapIdx[0] = i;
      heapVal[0] = v;
      let p = 0;
      for (;;) {
        const l = 2 * p + 1;
        const r = l + 1;
        let m = p;
        if (l < k && heapVal[l]! < heapVal[m]!) m = l;
        if (r < k && heapVal[r]! < heapVal[m]!) m = r;
        if (m === p) break;
        swap(p, m);
        p = m;
      }
    }
  }
  const order = heapIdx.map((idx, j) => [idx, heapVal[j]!] as const);
  order.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  return order.map((o) => o[0]);
}
