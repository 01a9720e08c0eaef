/** Latency budget per request-path stage, in milliseconds; each becomes that stage's timeout. */
export interface StageBudgets {
  features: number;
  retrieval: number;
  ranking: number;
  /** Whole request; stages that would end after it are cut short. */
  total: number;
}

/**
 * Defaults sized for a p95 of 200 ms end to end with headroom: features overlap retrieval, so
 * the critical path is max(features, retrieval) + ranking + re-ranking. See ADR 0070.
 */
export const DEFAULT_STAGE_BUDGETS: StageBudgets = {
  features: 50,
  retrieval: 50,
  ranking: 80,
  total: 180,
};
