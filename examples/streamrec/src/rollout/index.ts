/**
 * StreamRec's rollout: the shadow gate with StreamRec's checks (the seed's three shadow bugs), the
 * canary on the running recommender, and reloading the last good production model (ADR 0087).
 */
export {
  streamRecGateChecks,
  zeroImpressionScoresCheck,
  noRemovedItemsCheck,
  rerankOrderCheck,
  type StreamRecCheck,
  type TracedAnswer,
} from './gate-checks.js';
export {
  runStreamRecShadowGate,
  defaultMetricTolerances,
  DEFAULT_METRIC_TOLERANCE,
  type StreamRecGateOptions,
} from './streamrec-shadow-gate.js';
export { startStreamRecCanary, type StreamRecCanaryOptions } from './streamrec-canary.js';
export { reloadProductionRanker, type ReloadOutcome } from './production-reload.js';
export { gateRegisteredCandidate, type GateRegisteredOptions, type RankerLoader } from './gate-registered-candidate.js';
export { registrySync, type SyncOutcome } from './registry-sync.js';
