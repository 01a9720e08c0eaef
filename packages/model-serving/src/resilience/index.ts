/**
 * Degradation for a request path with model dependencies: each dependency call runs as a guarded
 * stage (latency budget + circuit breaker), and a failure lowers the response's degradation level
 * instead of failing it (ADR 0070).
 * @example
 * const ranking = new GuardedStage('ranking', { timeoutMs: DEFAULT_STAGE_BUDGETS.ranking });
 * const r = await ranking.run((signal) => ranker.score(batch, signal));
 * const level = r.ok ? DegradationLevel.FULL : worseLevel(DegradationLevel.FULL, DegradationLevel.SIMPLE_RANKING);
 */
export { DegradationLevel, DEGRADATION_LEVELS, worseLevel } from './degradation-level.js';
export { GuardedStage, type GuardedStageOptions, type StageResult, type StageFailure } from './guarded-stage.js';
export { DEFAULT_STAGE_BUDGETS, type StageBudgets } from './stage-budgets.js';
