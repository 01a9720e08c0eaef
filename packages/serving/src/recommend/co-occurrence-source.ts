import type { RetrievalContext, RetrievalSource } from './retrieval-source.js';
import type { ItemId, ScoredItem } from './types.js';

/** Options for building the co-occurrence table. */
export interface CoOccurrenceOptions {
  /** Items within this many positions of each other in a user's history co-occur (default 5). */
  window?: number;
  /** Neighbours kept per item (default 50). */
  neighbours?: number;
  /** Items of the user's history used per request (default 10: the "last 10 items" feature). */
  recent?: number;
  version?: string;
}

/**
 * Item-to-item co-occurrence: items that appear near each other in users' time-ordered
 * histories, normalised by popularity (cosine of co-occurrence counts) so blockbusters do not
 * become everyone's neighbour. Candidates are the neighbours of the user's last items.
 */
export class CoOccurrenceSource implements RetrievalSource {
  readonly name = 'co_occurrence';
  readonly version: string;
  private readonly recent: number;

  constructor(
    private readonly neighbours: ReadonlyMap<ItemId, readonly ScoredItem[]>,
    options: { recent?: number; version?: string } = {},
  ) {
    this.recent = options.recent ?? 10;
    this.version = options.version ?? 'co-occurrence';
  }

  /** Builds the neighbour table from time-ordered item histories, one per user. */
  static fromHistories(histories: Iterable<readonly ItemId[]>, options: CoOccurrenceOptions = {}): CoOccurrenceSource {
    const window = options.window ?? 5;
    const keep = options.neighbours ?? 50;
    const pair = new Map<ItemId, Map<ItemId, number>>();
    const count = new Map<ItemId, number>();
    for (const h of histories) {
      for (let i = 0; i < h.length; i++) {
        const a = h[i]!;
        count.set(a, (count.get(a) ?? 0) + 1);
        for (let j = i + 1; j < Math.min(h.length, i + 1 + window); j++) {
          const b = h[j]!;
          if (a === b) continue;
          bump(pair, a, b);
          bump(pair, b, a);
        }
      }
    }
    const neighbours = new Map<ItemId, ScoredItem[]>();
    for (const [a, row] of pair) {
      const ca = count.get(a) ?? 1;
      const list = [...row]
        .map(([b, n]) => ({ itemId: b, score: n / Math.sqrt(ca * (count.get(b) ?? 1)) }))
        .sort((x, y) => y.score - x.score)
        .slice(0, keep);
      neighbours.set(a, list);
    }
    return new CoOccurrenceSource(neighbours, options);
  }

  async retrieve(ctx: RetrievalContext, k: number): Promise<ScoredItem[]> {
    const features = await ctx.features;
    const recent = features.recentItems.slice(-this.recent);
    if (recent.length === 0) return [];
    const own = new Set(recent);
    const score = new Map<ItemId, number>();
    // Newer items weigh more: the last item says most about what the user wants next.
    recent.forEach((item, i) => {
      const w = (i + 1) / recent.length;
      for (const n of this.neighbours.get(item) ?? []) {
        if (own.has(n.itemId)) continue;
        score.set(n.itemId, (score.get(n.itemId) ?? 0) + w * n.score);
      }
    });
    return [...score]
      .map(([itemId, s]) => ({ itemId, score: s }))
      .sort((a, b) => b.score - a.score)
      .slice(0, k);
  }
}

function bump(pair: Map<ItemId, Map<ItemId, number>>, a: ItemId, b: ItemId): void {
  let row = pair.get(a);
  if (!row) pair.set(a, (row = new Map()));
  row.set(b, (row.get(b) ?? 0) + 1);
}
