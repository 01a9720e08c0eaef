import type { HistoryQueryParams } from '../retrieval/index.js';

/**
 * The training query's recent-items term: weight chosen from RECENT_WEIGHT_GRID by the validation
 * NDCG@20 summed over both protocols, decay the best one of the untrained-history search (ADR 0052).
 */
export const DEFAULT_TOWER_HISTORY: HistoryQueryParams = { weight: 1, decay: 0.25 };

/** The ranker's loss: listwise ranked each validation slice's candidates better alone, at an equal blend-tuned figure (ADR 0077). */
export const DEFAULT_RANKER_LOSS = 'listwise' as const;

/** Two towers: their mean score beat either member on validation under both protocols and two seeds (ADR 0052, ADR 0075). */
export const DEFAULT_TOWER_MEMBERS = 2;
