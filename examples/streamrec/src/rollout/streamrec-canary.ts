import type { ModelManifest, ModelRegistry } from '@frec/model-registry';
import { CanaryController, type CanaryBudgets, type CanaryEvent } from '@frec/model-serving/canary';
import type { Ranker } from '@frec/model-serving/ranking';
import type { RecommendMetrics } from '../recommender/recommend-metrics.js';
import type { Recommender } from '../recommender/recommender.js';

/** Options of a StreamRec canary. */
export interface StreamRecCanaryOptions {
  recommender: Recommender;
  metrics: RecommendMetrics;
  /** Where steps, the promotion or the rollback are recorded (the version's history). */
  registry: Pick<ModelRegistry, 'promote' | 'rollback' | 'note'>;
  candidate: { ranker: Ranker; manifest: ModelManifest };
  /** Promotion to production checks the feature service exists (ModelRegistry.promote). */
  featureServiceExists: (service: string) => Promise<boolean>;
  /** Default: error rate 1%, p95 of a candidate request within the recommender's total budget. */
  budgets?: Partial<CanaryBudgets>;
  steps?: readonly number[];
  requestsPerStep?: number;
  minRequestsToJudge?: number;
  log?: (line: string) => void;
  /** Called after the registry recorded each event (tests, the daily job's report). */
  onEvent?: (event: CanaryEvent) => void;
}

/**
 * Starts a canary of a candidate ranker on a running recommender: the controller routes a stable
 * share of users to it (5% -> 25% -> 100%); each step, the promotion and a rollback are recorded in
 * the model registry with their reason, counted in `frec_canary_events_total` and logged. A
 * rollback puts every user back on production at once; a promotion makes the candidate the
 * production ranker (and the registry's production version).
 */
export function startStreamRecCanary(options: StreamRecCanaryOptions): CanaryController {
  const { recommender: rec, metrics, registry, candidate } = options;
  const m = candidate.manifest;
  const label = candidate.ranker.version;
  const log = options.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const controller = new CanaryController({
    model: m.name,
    candidate: label,
    steps: options.steps,
    requestsPerStep: options.requestsPerStep,
    minRequestsToJudge: options.minRequestsToJudge,
    budgets: { errorRate: options.budgets?.errorRate ?? 0.01, p95Ms: options.budgets?.p95Ms ?? rec.budgets.total },
    onEvent: async (e) => {
      metrics.canaryShare.set({ model: m.name, candidate: label }, e.share);
      metrics.canaryEvents.inc({ model: m.name, kind: e.kind });
      log(`canary ${label}: ${e.kind.replace('_', ' ')} (${e.reason})`);
      if (e.kind === 'rolled_back') {
        rec.stopCanary();
        await registry.rollback(m.name, m.version, `canary rollback: ${e.reason}`);
      } else if (e.kind === 'promoted') {
        rec.setRanker(candidate.ranker);
        rec.stopCanary();
        metrics.setServedModel(m.name, label, Date.parse(m.trainingData.end));
        await registry.promote(m.name, m.version, {
          featureServiceExists: options.featureServiceExists,
          reason: `canary promoted: ${e.reason}`,
        });
      } else await registry.note(m.name, m.version, 'canary', e.reason);
      options.onEvent?.(e);
    },
  });
  metrics.canaryShare.set({ model: m.name, candidate: label }, controller.share);
  log(`canary ${label}: started at ${controller.share * 100}% of users`);
  rec.startCanary(controller, candidate.ranker);
  return controller;
}
