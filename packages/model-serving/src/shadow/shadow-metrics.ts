/** A counter labelled by model version (prom-client's `Counter<'version'>` fits). */
export interface VersionCounter {
  inc(labels: { version: string }, value?: number): void;
}

/** A histogram labelled by model version (prom-client's `Histogram<'version'>` fits). */
export interface VersionHistogram {
  observe(labels: { version: string }, value: number): void;
}

/** Where shadow comparisons are counted: the caller's metrics registry, so they appear beside its own. */
export interface ShadowMetrics {
  /** Comparisons completed. */
  shadowRequests: VersionCounter;
  /** Mean absolute score difference shadow vs production, per request. */
  shadowScoreDiff: VersionHistogram;
  /** Overlap of the two top-k lists (0..1), per request. */
  shadowRankOverlap: VersionHistogram;
  /** NaN or infinite shadow scores. */
  shadowNonFinite: VersionCounter;
  /** Shadow calls that threw or timed out. */
  shadowErrors: VersionCounter;
}
