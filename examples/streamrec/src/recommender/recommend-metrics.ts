import { Counter, Histogram, Registry } from 'prom-client';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2];

/** Prometheus metrics of the recommendation request path, in their own registry. */
export class RecommendMetrics {
  readonly registry: Registry;
  /** Seconds per stage: features, retrieval, retrieval_<source>, ranking, rerank, total. */
  readonly stageSeconds: Histogram<'stage'>;
  readonly responses: Counter<'level'>;
  readonly candidates: Counter<'source'>;
  readonly candidatesPerRequest: Histogram<never>;
  readonly droppedNotInCatalog: Counter<never>;
  readonly stageFailures: Counter<'stage' | 'reason'>;
  readonly nonFiniteScores: Counter<'model_version'>;
  readonly shadowRequests: Counter<'version'>;
  readonly shadowScoreDiff: Histogram<'version'>;
  readonly shadowRankOverlap: Histogram<'version'>;
  readonly shadowNonFinite: Counter<'version'>;
  readonly shadowErrors: Counter<'version'>;

  constructor(registry = new Registry()) {
    this.registry = registry;
    const r = [registry];
    this.stageSeconds = new Histogram({
      name: 'frec_recommend_stage_seconds',
      help: 'Latency of each request-path stage.',
      labelNames: ['stage'],
      buckets: LATENCY_BUCKETS,
      registers: r,
    });
    this.responses = new Counter({
      name: 'frec_recommend_responses_total',
      help: 'Responses by degradation level.',
      labelNames: ['level'],
      registers: r,
    });
    this.candidates = new Counter({
      name: 'frec_recommend_candidates_total',
      help: 'Candidates proposed per retrieval source.',
      labelNames: ['source'],
      registers: r,
    });
    this.candidatesPerRequest = new Histogram({
      name: 'frec_recommend_candidates_per_request',
      help: 'Merged candidates per request.',
      buckets: [0, 50, 100, 200, 300, 400, 500, 600],
      registers: r,
    });
    this.droppedNotInCatalog = new Counter({
      name: 'frec_recommend_dropped_not_in_catalog_total',
      help: 'Candidates dropped because the catalog no longer has them.',
      registers: r,
    });
    this.stageFailures = new Counter({
      name: 'frec_recommend_stage_failures_total',
      help: 'Stage failures by reason (timeout, circuit_open, error).',
      labelNames: ['stage', 'reason'],
      registers: r,
    });
    this.nonFiniteScores = new Counter({
      name: 'frec_recommend_nonfinite_scores_total',
      help: 'NaN or infinite ranker scores replaced by the retrieval score.',
      labelNames: ['model_version'],
      registers: r,
    });
    this.shadowRequests = new Counter({
      name: 'frec_recommend_shadow_requests_total',
      help: 'Requests scored by a shadow model.',
      labelNames: ['version'],
      registers: r,
    });
    this.shadowScoreDiff = new Histogram({
      name: 'frec_recommend_shadow_score_abs_diff',
      help: 'Mean absolute score difference shadow vs production, per request.',
      labelNames: ['version'],
      buckets: [0.001, 0.01, 0.05, 0.1, 0.2, 0.5, 1],
      registers: r,
    });
    this.shadowRankOverlap = new Histogram({
      name: 'frec_recommend_shadow_rank_overlap',
      help: 'Overlap of the top-k lists of shadow and production (0..1).',
      labelNames: ['version'],
      buckets: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1],
      registers: r,
    });
    this.shadowNonFinite = new Counter({
      name: 'frec_recommend_shadow_nonfinite_scores_total',
      help: 'NaN or infinite scores from a shadow model.',
      labelNames: ['version'],
      registers: r,
    });
    this.shadowErrors = new Counter({
      name: 'frec_recommend_shadow_errors_total',
      help: 'Shadow scoring calls that threw or timed out.',
      labelNames: ['version'],
      registers: r,
    });
  }

  /** Text exposition for GET /metrics. */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}
