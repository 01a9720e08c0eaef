import type { RetrievalContext, RetrievalSource } from './retrieval-source.js';
import type { ItemId, ScoredItem } from '../types.js';

/** One interaction, for building trending scores. */
export interface InteractionEvent {
  itemId: ItemId;
  timeMs: number;
  weight?: number;
}

/**
 * Trending/popular items from exponentially time-decayed interaction counts, precomputed so a
 * request only slices a list: it needs no features and never waits for them.
 */
export class TrendingSource implements RetrievalSource {
  readonly name = 'trending';

  constructor(
    private readonly ranked: readonly ScoredItem[],
    readonly version = 'trending',
  ) {}

  /** Builds the list from events with a half-life (default 7 days) measured back from `nowMs`. */
  static fromEvents(events: Iterable<InteractionEvent>, options: { nowMs: number; halfLifeMs?: number; version?: string }): TrendingSource {
    const halfLife = options.halfLifeMs ?? 7 * 86_400_000;
    const score = new Map<ItemId, number>();
    for (const e of events) {
      const age = Math.max(0, options.nowMs - e.timeMs);
      score.set(e.itemId, (score.get(e.itemId) ?? 0) + (e.weight ?? 1) * Math.pow(0.5, age / halfLife));
    }
    const ranked = [...score].map(([itemId, s]) => ({ itemId, score: s })).sort((a, b) => b.score - a.score);
    return new TrendingSource(ranked, options.version);
  }

  /** The whole ranked list, best first (also the POPULAR fallback). */
  list(): readonly ScoredItem[] {
    return this.ranked;
  }

  async retrieve(_ctx: RetrievalContext, k: number): Promise<ScoredItem[]> {
    return this.ranked.slice(0, k);
  }
}
