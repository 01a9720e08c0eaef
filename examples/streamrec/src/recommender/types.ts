import type { ItemId, ScoredItem } from '@frec/model-serving/item-index';
import type { DegradationLevel } from '@frec/model-serving/resilience';

// An item's id (a MovieLens movieId here) and a scored item, as the item index returns them.
export type { ItemId, ScoredItem };

/** The request context a client sends with a recommendation request. */
export interface RequestContext {
  device?: string;
  /** Epoch milliseconds of the request (default: now). */
  timeMs?: number;
}

/** What the request path knows about the user once the feature lookup is done. */
export interface UserFeatures {
  /** Dense user features for the ranker (batch + stream), in the model's order. */
  vector: Float32Array;
  /** The user's most recent items, oldest first (the stream feature "last 10 items"). */
  recentItems: ItemId[];
  /** Items the user has already interacted with, to filter out. */
  seenItems?: ReadonlySet<ItemId>;
  /** Number of interactions the user has; under the cold-start threshold, the Bayesian model ranks. */
  interactionCount: number;
  /** True when stream features were missing or stale and only batch features or defaults were used. */
  stale: boolean;
  /** Raw values by feature name, for sources and rules that need them. */
  values?: Record<string, unknown>;
}

/** A recommendation request. */
export interface RecommendRequest {
  userId: string | number;
  context?: RequestContext;
  /** Number of items to return (default 20). */
  count?: number;
}

/** One recommended item with the evidence behind it. */
export interface RecommendedItem {
  itemId: ItemId;
  score: number;
  /** Retrieval sources that found the item. */
  sources: string[];
}

/** The answer to a recommendation request. */
export interface RecommendResponse {
  userId: string | number;
  items: RecommendedItem[];
  /** Versions of the models that produced this answer (ranker, retrieval...). */
  modelVersions: Record<string, string>;
  degradationLevel: DegradationLevel;
  /** Stages that failed or fell back, with the reason: e.g. { features: 'timeout' }. */
  degraded: Record<string, string>;
  /** Milliseconds spent per stage. */
  timingsMs: Record<string, number>;
}
