/** Item-to-item co-occurrence counts over dense item rows, each row's best neighbours in CSR form. */
export interface CoOccurrenceTable {
  /** Row r's neighbours are `nbr[start[r]..start[r + 1])`, best first; ties go to the lower row. */
  start: Int32Array;
  nbr: Int32Array;
  /** count(a, b) / sqrt(count_a x count_b): cosine-normalised, so blockbusters are not everyone's neighbour. */
  score: Float64Array;
}

/**
 * Builds the table from time-ordered histories of dense rows in [0, numRows): items within `window`
 * positions of each other in one history co-occur, and each row keeps its `neighbours` best.
 * Serving's `CoOccurrenceSource` and StreamRec's training pipeline both build theirs here.
 */
export function buildCoOccurrenceTable(
  histories: Iterable<ArrayLike<number>>,
  numRows: number,
  window: number,
  neighbours: number,
): CoOccurrenceTable {
  const hs = [...histories];
  const count = new Float64Array(numRows);
  // Every pair (a, b) within the window as the key a x numRows + b, both ways; sorted, each key's
  // run is its count and each row's keys are contiguous (a typed-array sort, ~10x faster than a Map).
  let pairs = 0;
  for (const h of hs) for (let i = 0; i < h.length; i++) pairs += 2 * Math.min(window, h.length - 1 - i);
  const keys = new Float64Array(pairs);
  let p = 0;
  for (const h of hs) {
    for (let i = 0; i < h.length; i++) {
      const a = h[i]!;
      count[a] = count[a]! + 1;
      for (let j = i + 1; j < Math.min(h.length, i + 1 + window); j++) {
        const b = h[j]!;
        if (a === b) continue;
        keys[p++] = a * numRows + b;
        keys[p++] = b * numRows + a;
      }
    }
  }
  const sorted = keys.subarray(0, p).sort();
  const rows: { b: number; s: number }[][] = Array.from({ length: numRows }, () => []);
  for (let i = 0; i < sorted.length;) {
    const key = sorted[i]!;
    let j = i + 1;
    while (j < sorted.length && sorted[j] === key) j++;
    const a = Math.floor(key / numRows),
      b = key - a * numRows;
    rows[a]!.push({ b, s: (j - i) / Math.sqrt(Math.max(count[a]!, 1) * Math.max(count[b]!, 1)) });
    i = j;
  }
  const start = new Int32Array(numRows + 1);
  for (let a = 0; a < numRows; a++) start[a + 1] = start[a]! + Math.min(neighbours, rows[a]!.length);
  const nbr = new Int32Array(start[numRows]!);
  const score = new Float64Array(start[numRows]!);
  for (let a = 0; a < numRows; a++) {
    const list = rows[a]!.sort((x, y) => y.s - x.s || x.b - y.b).slice(0, neighbours);
    list.forEach((x, k) => ((nbr[start[a]! + k] = x.b), (score[start[a]! + k] = x.s)));
  }
  return { start, nbr, score };
}
