/**
 * Shadow scoring: a candidate model version scores a sample of requests beside production, off the
 * response path, and only the comparison is recorded.
 * @example
 * const shadow = new ShadowScorer({ ranker: candidate, sampleRate: 0.1 }, metrics);
 * shadow.maybeCompare(batch, productionScores);
 */
export { ShadowScorer, topKOverlap, type ShadowOptions, type ShadowStats } from './shadow-scorer.js';
export type { ShadowMetrics, VersionCounter, VersionHistogram } from './shadow-metrics.js';
