/**
 * Canary rollout: a stable hash of the user id routes a growing share of traffic (5% -> 25% ->
 * 100%) to a candidate model, with automatic rollback when its error rate or p95 breaches the
 * budget (ADR 0087).
 * @example
 * const canary = new CanaryController({ model: 'ranker', candidate: 'ranker@7', budgets: { p95Ms: 80 } });
 * const ranker = canary.arm(userId) === 'candidate' ? candidate : production;
 */
export {
  CanaryController,
  type CanaryArm,
  type CanaryBudgets,
  type CanaryEvent,
  type CanaryOptions,
  type CanarySnapshot,
  type CanaryStepStats,
} from './canary-controller.js';
export { stableShare } from './stable-share.js';
