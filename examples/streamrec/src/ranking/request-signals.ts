import { GENRES } from '../data/genres.js';

const G = GENRES.length;
const DAY_MS = 86_400_000;

/**
 * The ranker's request-time inputs (issue 21): what retrieval cannot see, computed the same way
 * offline (ranker examples, blend tuning, evaluation) and in serving (buildBatch), as of the request.
 */
export const REQUEST_SIGNAL_NAMES = [
  'log_pop_decay_short',
  'log_pop_decay_mid',
  'log_pop_decay_long',
  'log_item_age_days',
  'log_co_occurrence',
  'affinity_x_genres',
  'recent_genres_x_genres',
] as const;

export const D_SIGNALS = REQUEST_SIGNAL_NAMES.length;

/**
 * Shares of the training events whose time span sets the three popularity half-lives: the last
 * 1%, 5% and 25% of events. Relative to the data's own event rate, so the same rule fits a data
 * set whose last month holds 700 events and one whose last day holds 100,000.
 */
export const HALF_LIFE_SHARES = [0.01, 0.05, 0.25] as const;

/** The half-lives (ms): the time the last HALF_LIFE_SHARES of the (time-ordered) training events span, at least one hour. */
export function halfLivesMs(sortedTimesMs: ArrayLike<number>): number[] {
  const n = sortedTimesMs.length;
  const end = n ? sortedTimesMs[n - 1]! : 0;
  return HALF_LIFE_SHARES.map((s) => Math.max(3_600_000, end - (n ? sortedTimesMs[Math.max(0, Math.floor(n * (1 - s)))]! : end)));
}

/**
 * Each item's interaction times, to answer "how popular, with exponential decay, and how old was
 * this item at time t", counting only events strictly before t (point in time). At or after the
 * last event the decayed counts come from a cache scaled by one factor per half-life: serving's
 * requests are all after the snapshot, and pay one multiply per item.
 */
export class ItemTimeline {
  private readonly offsets: Int32Array;
  private readonly times: Float64Array;
  private readonly endMs: number;
  private readonly atEnd: Float64Array[];

  /** @param items Dense item of each event; `timesMs` its time, both in time order. */
  constructor(
    items: ArrayLike<number>,
    timesMs: ArrayLike<number>,
    readonly numItems: number,
    readonly halfLives: readonly number[],
  ) {
    const n = items.length;
    const counts = new Int32Array(numItems + 1);
    for (let i = 0; i < n; i++) counts[items[i]! + 1]! += 1;
    for (let i = 0; i < numItems; i++) counts[i + 1]! += counts[i]!;
    const fill = counts.slice(0, numItems);
    const times = new Float64Array(n);
    let end = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < n; i++) {
      times[fill[items[i]!]!++] = timesMs[i]!;
      if (timesMs[i]! > end) end = timesMs[i]!;
    }
    // Serving hands events user by user: each item's times are put in order here.
    for (let it = 0; it < numItems; it++) times.subarray(counts[it]!, counts[it + 1]!).sort();
    this.offsets = counts;
    this.times = times;
    this.endMs = end;
    this.atEnd = halfLives.map((h) => {
      const out = new Float64Array(numItems);
      for (let it = 0; it < numItems; it++) {
        let s = 0;
        for (let k = counts[it]!; k < counts[it + 1]!; k++) s += Math.pow(2, -(end - times[k]!) / h);
        out[it] = s;
      }
      return out;
    });
  }

  /** Number of the item's events strictly before `atMs` (binary search in its sorted times). */
  private before(item: number, atMs: number): number {
    let lo = this.offsets[item]!,
      hi = this.offsets[item + 1]!;
    const start = lo;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.times[mid]! < atMs) lo = mid + 1;
      else hi = mid;
    }
    return lo - start;
  }

  /** Sum over the item's events before `atMs` of 2^(-(atMs - t) / halfLives[h]); 0 for an item outside the timeline (-1). */
  decayed(item: number, atMs: number, h: number): number {
    if (item < 0 || item >= this.numItems) return 0;
    const half = this.halfLives[h]!;
    if (atMs > this.endMs) return this.atEnd[h]![item]! * Math.pow(2, -(atMs - this.endMs) / half);
    const start = this.offsets[item]!;
    let s = 0;
    for (let k = start + this.before(item, atMs) - 1; k >= start; k--) {
      const term = Math.pow(2, -(atMs - this.times[k]!) / half);
      // Older events only add less: stop once they cannot change a log1p feature.
      if (term < 1e-9) break;
      s += term;
    }
    return s;
  }

  /** Days since the item's first event before `atMs`; 0 when it has none yet (or is outside the timeline). */
  ageDays(item: number, atMs: number): number {
    if (item < 0 || item >= this.numItems) return 0;
    const start = this.offsets[item]!;
    if (this.offsets[item + 1]! === start || this.times[start]! >= atMs) return 0;
    return (atMs - this.times[start]!) / DAY_MS;
  }
}

/**
 * Writes one row's request signals at `x[o ...]`, given the row's user vector at `userAt` and item
 * vector at `itemAt` in the same array (USER_VECTOR_NAMES: affinity at 4, recent genres at 6 + G;
 * ITEM_VECTOR_NAMES: genres at 0) and the raw co-occurrence of the item with the user's recent items.
 */
export function writeRequestSignals(
  x: Float32Array,
  o: number,
  userAt: number,
  itemAt: number,
  timeline: ItemTimeline,
  item: number,
  atMs: number,
  coOccurrence: number,
): void {
  for (let h = 0; h < 3; h++) x[o + h] = Math.log1p(timeline.decayed(item, atMs, h));
  x[o + 3] = Math.log1p(timeline.ageDays(item, atMs));
  x[o + 4] = Math.log1p(Math.max(0, coOccurrence));
  let aff = 0,
    recent = 0;
  for (let g = 0; g < G; g++) {
    const ig = x[itemAt + g]!;
    aff += x[userAt + 4 + g]! * ig;
    recent += x[userAt + 6 + G + g]! * ig;
  }
  x[o + 5] = aff;
  x[o + 6] = recent;
}
