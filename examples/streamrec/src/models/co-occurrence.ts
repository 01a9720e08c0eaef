/**
 * Item-to-item co-occurrence over dense item indexes: the offline twin of serving's
 * `CoOccurrenceSource` (same window, same cosine normalisation, same neighbours kept, same
 * recency weights), so a score tuned here is the score serving computes for a candidate.
 */
export interface CoOccurrenceTable {
  numItems: number;
  /** Row r's neighbours are nbr[start[r]..start[r + 1]), best first. */
  start: Int32Array;
  nbr: Int32Array;
  score: Float32Array;
}

/** Options of the table, as serving's `CoOccurrenceSource.fromHistories`. */
export interface CoOccurrenceOptions {
  /** Items within this many positions of each other in a user's history co-occur (default DEFAULT_CO_OCCURRENCE). */
  window?: number;
  /** Neighbours kept per item (default DEFAULT_CO_OCCURRENCE). */
  neighbours?: number;
}

/** The table's window and neighbours, chosen on the held-out users of both protocols (ADR 0078). */
export const DEFAULT_CO_OCCURRENCE: Required<CoOccurrenceOptions> = { window: 10, neighbours: 400 };

/**
 * Builds the table from events (indexes into user/item arrays, in time order): pairs within
 * `window` positions of one user's history count once per pair, normalised by
 * sqrt(count_a x count_b) so blockbusters do not become everyone's neighbour.
 */
export function buildCoOccurrence(
  user: Int32Array,
  item: Int32Array,
  events: Int32Array,
  numItems: number,
  options: CoOccurrenceOptions = {},
): CoOccurrenceTable {
  const window = options.window ?? DEFAULT_CO_OCCURRENCE.window;
  const keep = options.neighbours ?? DEFAULT_CO_OCCURRENCE.neighbours;
  const histories = new Map<number, number[]>();
  for (const e of events) {
    const u = user[e]!;
    let h = histories.get(u);
    if (!h) histories.set(u, (h = []));
    h.push(item[e]!);
  }
  const count = new Float64Array(numItems);
  // Every pair (a, b) within the window as the key a x numItems + b, both ways; sorted, each key's
  // run is its count and each a's keys are contiguous (a typed-array sort, ~10x faster than a Map).
  let pairs = 0;
  for (const h of histories.values()) for (let i = 0; i < h.length; i++) pairs += 2 * Math.min(window, h.length - 1 - i);
  const keys = new Float64Array(pairs);
  let p = 0;
  for (const h of histories.values()) {
    for (let i = 0; i < h.length; i++) {
      const a = h[i]!;
      count[a] = count[a]! + 1;
      for (let j = i + 1; j < Math.min(h.length, i + 1 + window); j++) {
        const b = h[j]!;
        if (a === b) continue;
        keys[p++] = a * numItems + b;
        keys[p++] = b * numItems + a;
      }
    }
  }
  const sorted = keys.subarray(0, p).sort();
  const rows: { b: number; s: number }[][] = Array.from({ length: numItems }, () => []);
  for (let i = 0; i < sorted.length; ) {
    const key = sorted[i]!;
    let j = i + 1;
    while (j < sorted.length && sorted[j] === key) j++;
    const a = Math.floor(key / numItems), b = key - a * numItems;
    rows[a]!.push({ b, s: (j - i) / Math.sqrt(Math.max(count[a]!, 1) * Math.max(count[b]!, 1)) });
    i = j;
  }
  const start = new Int32Array(numItems + 1);
  for (let a = 0; a < numItems; a++) start[a + 1] = start[a]! + Math.min(keep, rows[a]!.length);
  const nbr = new Int32Array(start[numItems]!);
  const score = new Float32Array(start[numItems]!);
  for (let a = 0; a < numItems; a++) {
    const list = rows[a]!.sort((x, y) => y.s - x.s || x.b - y.b).slice(0, keep);
    list.forEach((x, k) => ((nbr[start[a]! + k] = x.b), (score[start[a]! + k] = x.s)));
  }
  return { numItems, start, nbr, score };
}

/**
 * Each item's co-occurrence score with a user's recent items (dense indexes, newest first): the
 * newest of n weighs 1, the oldest 1/n, as serving weighs them. Writes into `out` (zeroed first).
 */
export function coOccurrenceScores<T extends Float32Array | Float64Array>(table: CoOccurrenceTable, recentNewestFirst: ArrayLike<number>, out: T): T {
  out.fill(0);
  const n = recentNewestFirst.length;
  for (let i = 0; i < n; i++) {
    const a = recentNewestFirst[i]!;
    if (a < 0 || a >= table.numItems) continue;
    const w = (n - i) / n;
    for (let k = table.start[a]!, e = table.start[a + 1]!; k < e; k++) out[table.nbr[k]!] = out[table.nbr[k]!]! + w * table.score[k]!;
  }
  return out;
}
