import { buildCoOccurrenceTable, type CoOccurrenceTable } from '../recommender/sources/co-occurrence-table.js';

/**
 * Serving's co-occurrence table (one builder, `buildCoOccurrenceTable`) over the pipeline's dense
 * item indexes, its scores held as float32 for the offline scoring kernels: a score tuned here is
 * the score serving computes for a candidate, scored with the same recency weights.
 */
export type DenseCoOccurrence = Omit<CoOccurrenceTable, 'score'> & { numItems: number; score: Float32Array };

/** Options of the table, as serving's `CoOccurrenceSource.fromHistories`. */
export interface CoOccurrenceOptions {
  /** Items within this many positions of each other in a user's history co-occur (default DEFAULT_CO_OCCURRENCE). */
  window?: number;
  /** Neighbours kept per item (default DEFAULT_CO_OCCURRENCE). */
  neighbours?: number;
}

/** Co-occurrence weights tried on the held-out users, at the query the first passes chose. */
export const CO_OCCURRENCE_WEIGHT_GRID = [0, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6] as const;

/** The table's window and neighbours, chosen on the held-out users of both protocols (ADR 0078). */
export const DEFAULT_CO_OCCURRENCE: Required<CoOccurrenceOptions> = { window: 10, neighbours: 400 };

/** Builds the table from events (indexes into user/item arrays, in time order), one history per user. */
export function buildCoOccurrence(
  user: Int32Array,
  item: Int32Array,
  events: Int32Array,
  numItems: number,
  options: CoOccurrenceOptions = {},
): DenseCoOccurrence {
  const window = options.window ?? DEFAULT_CO_OCCURRENCE.window;
  const keep = options.neighbours ?? DEFAULT_CO_OCCURRENCE.neighbours;
  const histories = new Map<number, number[]>();
  for (const e of events) {
    const u = user[e]!;
    let h = histories.get(u);
    if (!h) histories.set(u, (h = []));
    h.push(item[e]!);
  }
  const t = buildCoOccurrenceTable(histories.values(), numItems, window, keep);
  return { numItems, start: t.start, nbr: t.nbr, score: Float32Array.from(t.score) };
}

/**
 * Each item's co-occurrence score with a user's recent items (dense indexes, newest first): the
 * newest of n weighs 1, the oldest 1/n, as serving weighs them. Writes into `out` (zeroed first).
 */
export function coOccurrenceScores<T extends Float32Array | Float64Array>(
  table: DenseCoOccurrence,
  recentNewestFirst: ArrayLike<number>,
  out: T,
): T {
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
