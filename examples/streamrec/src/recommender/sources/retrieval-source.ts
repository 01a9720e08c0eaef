import type { ItemId, RequestContext, ScoredItem, UserFeatures } from '../types.js';

/** What a retrieval source may use: the user, the request, and the (possibly pending) features. */
export interface RetrievalContext {
  userId: string | number;
  context: RequestContext;
  /** Resolves to the user's features (or defaults when the lookup failed); never rejects. */
  features: Promise<UserFeatures>;
  signal: AbortSignal;
}

/**
 * A RetrievalSource proposes candidate items for a user. The request path runs every source in
 * parallel, each under its own latency budget, and merges their lists.
 */
export interface RetrievalSource {
  /** Stable name, reported per item in responses and in metrics. */
  readonly name: string;
  /** Version of the model or data behind the source (reported in responses). */
  readonly version?: string;
  /** Up to `k` items, best first. */
  retrieve(ctx: RetrievalContext, k: number): Promise<ScoredItem[]>;
}

/** A source and how many candidates it contributes to the merged list. */
export interface SourceQuota {
  source: RetrievalSource;
  k: number;
}

/** Items that the catalog knows; a source may propose ids that have since been removed. */
export interface Catalog {
  has(id: ItemId): boolean;
  /** The item's genres (or other category labels) for diversity rules. */
  genres(id: ItemId): readonly string[];
  /** Number of items, for coverage. */
  readonly size: number;
}
