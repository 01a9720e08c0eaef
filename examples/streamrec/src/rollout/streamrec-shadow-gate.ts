import type { ModelManifest } from '@frec/model-registry';
import { runShadowGate, type GateDecision, type GateMetrics, type MetricTolerance } from '@frec/model-serving/gate';
import type { Ranker } from '@frec/model-serving/ranking';
import type { Recommender } from '../recommender/recommender.js';
import type { Catalog } from '../recommender/sources/retrieval-source.js';
import type { ItemId, RecommendRequest } from '../recommender/types.js';
import { streamRecGateChecks, type StreamRecCheck, type TracedAnswer } from './gate-checks.js';

/** Loss of NDCG@20 or Recall@20 a candidate may show against production on its registered evaluation. */
export const DEFAULT_METRIC_TOLERANCE = 0.005;

/** The registered headline metrics both versions carry (NDCG@20 and Recall@20 per protocol), each with the default tolerance. */
export function defaultMetricTolerances(candidate: ModelManifest, production?: ModelManifest): MetricTolerance[] {
  const keys = Object.keys(candidate.metrics).filter((k) => /\/(ndcg20|recall20)$/.test(k));
  const shared = production ? keys.filter((k) => k in production.metrics) : keys;
  return shared.sort().map((metric) => ({ metric, tolerance: DEFAULT_METRIC_TOLERANCE }));
}

/** Options of a StreamRec gate run. */
export interface StreamRecGateOptions {
  recommender: Recommender;
  /** The current catalog (removed items must never come back). */
  catalog: Pick<Catalog, 'has'>;
  /** Interactions per item: items with none are where the seed's NaN bug showed. */
  impressionsOf: (id: ItemId) => number;
  candidate: { ranker: Ranker; manifest: ModelManifest };
  /** Production's ranker and manifest; default ranker: the recommender's. */
  production?: { ranker?: Ranker; manifest: ModelManifest };
  /** Replayed requests (e.g. the users active on the next day, each with that day's time). */
  traffic: Iterable<RecommendRequest> | AsyncIterable<RecommendRequest>;
  /** Offline metrics and tolerances (default: defaultMetricTolerances). */
  metrics?: readonly MetricTolerance[];
  /**
   * Figures both versions scored on the same held-out requests: the offline check compares these
   * instead of the registered ones, which come from each version's own (different) held-out slice.
   */
  offlineMetrics?: { candidate: Readonly<Record<string, number>>; production: Readonly<Record<string, number>> };
  /** The candidate's p95 ranking time must stay within this (default: the recommender's ranking budget). */
  latencyBudgetMs?: number;
  minRequests?: number;
  /** Extra checks beside the standard ones. */
  checks?: readonly StreamRecCheck[];
  /** Replaces how the candidate answers (tests inject a faulty request path). */
  serveCandidate?: (request: RecommendRequest) => Promise<TracedAnswer>;
  gateMetrics?: GateMetrics;
  log?: (line: string) => void;
}

/**
 * Runs the shadow gate for a candidate ranker on StreamRec's request path: each request is
 * answered by production and by the candidate in traced runs (nothing recorded, no response
 * changed), and the candidate must pass finite scores, the seed's three shadow bugs (NaN for
 * zero-impression items, removed items returned, diversity before promotions), its registered
 * offline metrics and the ranking budget.
 */
export async function runStreamRecShadowGate(options: StreamRecGateOptions): Promise<GateDecision> {
  const rec = options.recommender;
  const cand = options.candidate;
  const serveCandidate =
    options.serveCandidate ??
    (async (request: RecommendRequest): Promise<TracedAnswer> => {
      const answer = await rec.recommendTraced(request, cand.ranker);
      // The candidate failed and a fallback ranked: that is a candidate error, not a pass.
      const failed = answer.response.degraded.ranking;
      if (failed) throw new Error(`the candidate ranker did not answer (${failed})`);
      return answer;
    });
  return runShadowGate<RecommendRequest, TracedAnswer>({
    candidate: {
      name: cand.manifest.name,
      version: cand.manifest.version,
      label: cand.ranker.version,
      metrics: options.offlineMetrics?.candidate ?? cand.manifest.metrics,
    },
    ...(options.production
      ? {
          production: {
            name: options.production.manifest.name,
            version: options.production.manifest.version,
            label: (options.production.ranker ?? rec.productionRanker).version,
            metrics: options.offlineMetrics?.production ?? options.production.manifest.metrics,
          },
        }
      : {}),
    traffic: options.traffic,
    serve: {
      production: (request) => rec.recommendTraced(request, options.production?.ranker),
      candidate: serveCandidate,
    },
    checks: [
      ...streamRecGateChecks({ catalog: options.catalog, impressionsOf: options.impressionsOf, rules: rec.rerankRules }),
      ...(options.checks ?? []),
    ],
    metrics: options.metrics ?? defaultMetricTolerances(cand.manifest, options.production?.manifest),
    latency: { budgetMs: options.latencyBudgetMs ?? rec.budgets.ranking, of: (a) => a.response.timingsMs.ranking ?? 0 },
    minRequests: options.minRequests ?? 1,
    gateMetrics: options.gateMetrics,
    log: options.log,
  });
}
