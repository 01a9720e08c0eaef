/**
 * How degraded a response is, from best to worst. Each level names what the request path
 * fell back to, so a client (and a dashboard) can tell a full answer from a safety net.
 */
export const DegradationLevel = {
  /** Fresh features, full retrieval, the production ranker. */
  FULL: 'FULL',
  /** Stream features stale or the online store down: batch features or defaults were used. */
  STALE_FEATURES: 'STALE_FEATURES',
  /** The ranker failed or ran over budget: a CPU logistic regression or the retrieval score ranked. */
  SIMPLE_RANKING: 'SIMPLE_RANKING',
  /** Retrieval and ranking unavailable: a precomputed per-user or global top-N list. */
  POPULAR: 'POPULAR',
} as const;

/** One of the four degradation levels. */
export type DegradationLevel = (typeof DegradationLevel)[keyof typeof DegradationLevel];

/** Levels in order, best first. */
export const DEGRADATION_LEVELS: readonly DegradationLevel[] = ['FULL', 'STALE_FEATURES', 'SIMPLE_RANKING', 'POPULAR'];

/** The worse of two levels. */
export function worseLevel(a: DegradationLevel, b: DegradationLevel): DegradationLevel {
  return DEGRADATION_LEVELS.indexOf(a) >= DEGRADATION_LEVELS.indexOf(b) ? a : b;
}
