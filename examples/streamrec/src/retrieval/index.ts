/**
 * What StreamRec's retrieval score adds to the two-tower's dot product: the user's recent items in
 * the query, a popularity prior and item-to-item co-occurrence, each tuned on validation (ADR 0052, 0077, 0078).
 */
export { historyQuery, RECENT_WEIGHT_GRID, RECENT_DECAY_GRID, type HistoryQueryParams } from './history-query.js';
export {
  popularityPrior,
  retrievalBias,
  addBias,
  withBiasColumn,
  withUnitColumn,
  lastShare,
  POPULARITY_WEIGHT_GRID,
  POPULARITY_SHARE_GRID,
} from './popularity-prior.js';
export {
  buildCoOccurrence,
  CO_OCCURRENCE_WEIGHT_GRID,
  DEFAULT_CO_OCCURRENCE,
  coOccurrenceScores,
  type DenseCoOccurrence,
  type CoOccurrenceOptions,
} from './co-occurrence.js';
