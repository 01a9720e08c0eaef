/**
 * The shadow gate: a candidate model answers replayed or live traffic beside production, its
 * answers go through named checks, and it is promoted only when every check passes (ADR 0087).
 * @example
 * const d = await runShadowGate({ candidate, production, traffic, serve, checks, metrics: [{ metric: 'ndcg20', tolerance: 0.005 }], latency: { budgetMs: 80 } });
 * await applyGateDecision(registry, d, { kind: 'canary' });
 */
export { runShadowGate, gateLogLine, gateLabel, quantile, type ShadowGateOptions } from './shadow-gate.js';
export { finiteScoresCheck, itemsInCatalogCheck } from './gate-checks.js';
export { applyGateDecision, type GateRegistry, type Rollout } from './apply-gate-decision.js';
export type { GateModel, ShadowPair, ShadowCheck, MetricTolerance, GateCheckReport, GateDecision, GateMetrics } from './gate-types.js';
