import type { Interactions } from '../../data/interactions.js';
import { topK } from '../../eval/metrics.js';
import { allTimePopularity, recentPopularity } from '../../baselines/popularity.js';
import { excludeAt, itemFirstSeenMs, type ItemExclusion } from '../../eval/catalog-at.js';

/** How many items each offline candidate source hands to the ranker per request. */
export interface CandidateMix {
  /** Two-tower nearest items (serving's ANN source). */
  twoTower: number;
  /** Most-watched items of the 30 days before the request (serving's trending source). */
  trending: number;
  /** Most-watched items of the whole training history. */
  popular: number;
  /** Items co-occurring with the request's recent items (serving's co-occurrence source), when their scores are given. */
  coOccurrence: number;
}

/** Default mix: the two-tower's top 100 plus 50 co-occurring, 50 trending and 50 all-time popular items (deduplicated). */
export const DEFAULT_CANDIDATE_MIX: CandidateMix = { twoTower: 100, trending: 50, popular: 50, coOccurrence: 50 };

const DAY_MS = 86_400_000;

/**
 * The offline twin of serving's candidate sources, built from training events only: the ranker is
 * trained on, and evaluated over, the union of what several sources retrieve, so it meets items
 * the two-tower scores low (as serving's co-occurrence, content and trending candidates are) and
 * cannot learn "high retrieval score = negative" from a pool that only the two-tower filled.
 */
export class OfflineCandidates {
  private readonly popularScores: Float32Array;
  private readonly trendingByDay = new Map<number, Float32Array>();
  /**
   * @param firstSeenMs When each item entered the catalog (itemFirstSeenMs): no source hands out an
   *   item first seen after the request. `null` offers every item at any time (the pre-ADR 0076 protocol).
   */
  constructor(
    private readonly data: Interactions,
    private readonly train: Int32Array,
    readonly mix: CandidateMix = DEFAULT_CANDIDATE_MIX,
    readonly firstSeenMs: Float64Array | null = itemFirstSeenMs(data),
  ) {
    this.popularScores = allTimePopularity(data, train);
  }

  /** Whether `item` is in the catalog at `atMs`, so a source may offer it then. */
  inCatalog(item: number, atMs: number): boolean {
    return !this.firstSeenMs || this.firstSeenMs[item]! <= atMs;
  }

  /**
   * Candidates of one request: the two-tower's top items by `retrievalScores` (full catalog), then
   * the top items by `coOccurrenceScores` (those above 0, when given), trending and popular items
   * not already in, never an item in `exclude`. Trending counts are
   * taken at the start of the request's UTC day, like a list refreshed daily, so they never
   * include the request's own events. Items not yet in the catalog at `atMs` are skipped (ADR 0076).
   */
  candidates(
    retrievalScores: Float32Array,
    atMs: number,
    excludeSeen: ItemExclusion | undefined,
    coOccurrenceScores?: Float32Array,
  ): Int32Array {
    const exclude = this.firstSeenMs ? excludeAt(this.firstSeenMs, atMs, excludeSeen) : excludeSeen;
    const out: number[] = [];
    const have = new Set<number>();
    const add = (items: Int32Array): void => {
      for (const it of items) {
        if (have.has(it)) continue;
        have.add(it);
        out.push(it);
      }
    };
    add(topK(retrievalScores, this.mix.twoTower, exclude));
    if (coOccurrenceScores && this.mix.coOccurrence > 0)
      add(topK(coOccurrenceScores, this.mix.coOccurrence, exclude).filter((it) => coOccurrenceScores[it]! > 0));
    if (this.mix.trending > 0) add(topK(this.trendingAt(atMs), this.mix.trending, exclude));
    if (this.mix.popular > 0) add(topK(this.popularScores, this.mix.popular, exclude));
    return Int32Array.from(out);
  }

  private trendingAt(atMs: number): Float32Array {
    const day = Math.floor(atMs / DAY_MS);
    let s = this.trendingByDay.get(day);
    if (!s) {
      // Bounded: training examples span thousands of days; 39 KB per cached day.
      if (this.trendingByDay.size >= 512) this.trendingByDay.clear();
      this.trendingByDay.set(day, (s = recentPopularity(this.data, this.train, day * DAY_MS)));
    }
    return s;
  }
}
