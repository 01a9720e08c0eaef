import { Counter, Gauge, Histogram, Registry } from 'prom-client';

// Fine below 50 ms, where the budgets are: the latency budget report reads quantiles from these buckets.
const LATENCY_BUCKETS = [
  0.0005, 0.001, 0.0015, 0.002, 0.003, 0.004, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.04, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 2,
];

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
  /** HTTP requests by route and status: the error-rate signal of the recommender. */
  readonly httpRequests: Counter<'route' | 'status'>;
  readonly canaryRequests: Counter<'arm' | 'outcome'>;
  readonly canaryShare: Gauge<'model' | 'candidate'>;
  readonly canaryEvents: Counter<'model' | 'kind'>;
  readonly gateDecisions: Counter<'model' | 'outcome'>;
  readonly gateCheckFailures: Counter<'model' | 'check'>;
  /** Training-data end (epoch ms) of each served model, by model name; read by frec_model_age_seconds. */
  readonly servedModels = new Map<string, { version: string; trainingEndMs: number }>();
  /** The clock model age is measured with (a replay sets its own). */
  now: () => number = Date.now;

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
    this.httpRequests = new Counter({
      name: 'frec_recommend_http_requests_total',
      help: 'HTTP requests by route and status (5xx over all is the error rate).',
      labelNames: ['route', 'status'],
      registers: r,
    });
    this.canaryRequests = new Counter({
      name: 'frec_canary_requests_total',
      help: "Requests while a canary runs, by arm and whether the arm's model answered (ok) or failed.",
      labelNames: ['arm', 'outcome'],
      registers: r,
    });
    this.canaryShare = new Gauge({
      name: 'frec_canary_share',
      help: 'Share of users the canary candidate serves (0 after a rollback, 1 once promoted).',
      labelNames: ['model', 'candidate'],
      registers: r,
    });
    this.canaryEvents = new Counter({
      name: 'frec_canary_events_total',
      help: 'Canary transitions by kind: step, promoted, rolled_back.',
      labelNames: ['model', 'kind'],
      registers: r,
    });
    this.gateDecisions = new Counter({
      name: 'frec_model_gate_decisions_total',
      help: 'Shadow gate decisions by model and outcome (promoted, refused).',
      labelNames: ['model', 'outcome'],
      registers: r,
    });
    this.gateCheckFailures = new Counter({
      name: 'frec_model_gate_check_failures_total',
      help: 'Shadow gate checks a candidate failed, by model and check.',
      labelNames: ['model', 'check'],
      registers: r,
    });
    const served = this.servedModels;
    const clock = (): number => this.now();
    new Gauge({
      name: 'frec_model_age_seconds',
      help: "Seconds since the served model's training data ends, by model (alert at 72 h).",
      labelNames: ['model'],
      registers: r,
      collect() {
        this.reset();
        const now = clock();
        for (const [model, m] of served) this.set({ model }, Math.max(0, (now - m.trainingEndMs) / 1000));
      },
    });
  }

  /** Records which version of `model` serves and when its training data ends (for the model-age gauge). */
  setServedModel(model: string, version: string, trainingEndMs: number): void {
    if (Number.isFinite(trainingEndMs)) this.servedModels.set(model, { version, trainingEndMs });
  }

  /** Text exposition for GET /metrics. */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}
