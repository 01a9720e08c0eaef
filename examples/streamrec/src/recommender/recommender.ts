import { performance } from 'node:perf_hooks';
import type { RankBatch, Ranker } from '@frec/model-serving/ranking';
import {
  DEFAULT_STAGE_BUDGETS,
  DegradationLevel,
  GuardedStage,
  worseLevel,
  type StageBudgets,
  type StageResult,
} from '@frec/model-serving/resilience';
import type { ShadowScorer } from '@frec/model-serving/shadow';
import type { ColdStartModel } from './cold-start/cold-start-ranker.js';
import { rerank, type RankedItem, type RerankOptions } from './rerank/rerank-pipeline.js';
import { mergeCandidates, type Candidate } from './merge-candidates.js';
import { RecommendMetrics } from './recommend-metrics.js';
import type { Catalog, RetrievalContext, SourceQuota } from './sources/retrieval-source.js';
import type { ItemId, RecommendRequest, RecommendResponse, RequestContext, ScoredItem, UserFeatures } from './types.js';

// The reason retrieval's signal is aborted once every source answered; one shared value, because
// abort() without a reason builds a DOMException with a stack trace on every request.
const RETRIEVAL_DONE = new Error('retrieval finished');

const reportToStderr = (err: unknown): void => {
  process.stderr.write(`recommender: request failed outside its stages: ${(err as Error)?.stack ?? String(err)}\n`);
};

/** Looks up a user's features (online store); should honour `signal`. */
export type FeatureLookup = (userId: string | number, context: RequestContext, signal: AbortSignal) => Promise<UserFeatures>;

/** Builds the ranker's input batch from the user's features and the candidates. */
export type BatchBuilder = (features: UserFeatures, candidates: readonly Candidate[], context: RequestContext) => RankBatch;

/** Options of the request path. */
export interface RecommenderOptions {
  catalog: Catalog;
  sources: readonly SourceQuota[];
  features: FeatureLookup;
  /** Features to use when the lookup fails: defaults (and, when known, batch-only features). */
  defaultFeatures: (userId: string | number) => UserFeatures | Promise<UserFeatures>;
  ranker: Ranker;
  /** SIMPLE_RANKING fallback: CPU logistic regression or the retrieval score. */
  fallbackRanker: Ranker;
  buildBatch: BatchBuilder;
  /** POPULAR fallback: a precomputed top-N for the user or everyone, best first. */
  popular: (userId: string | number, n: number) => readonly ScoredItem[];
  /** Re-ranking rules (count is taken from the request). */
  rerank?: Omit<RerankOptions, 'count' | 'genresOf'> & { genresOf?: RerankOptions['genresOf'] };
  coldStart?: ColdStartModel;
  shadow?: ShadowScorer;
  budgets?: Partial<StageBudgets>;
  /** Merged candidates kept (default 500). */
  candidateLimit?: number;
  /** Consecutive failures that open a dependency's breaker (default 5). */
  failuresToOpen?: number;
  /** Breaker open time before a trial call (default 2000 ms). */
  halfOpenAfterMs?: number;
  metrics?: RecommendMetrics;
  /** Where an error that escaped every stage is reported (default: stderr); the response only says `degraded.request: 'error'`. */
  onInternalError?: (err: unknown) => void;
}

/**
 * The recommendation request path: feature lookup started at once and overlapped with
 * retrieval from every source in parallel; merge, dedup and catalog check; one ranking batch;
 * non-finite scores replaced; re-ranking rules; the response. Every dependency runs under its
 * latency budget and circuit breaker, and a failure lowers the degradation level instead of
 * failing the request (ADR 0070).
 * @example
 * const rec = new Recommender({ catalog, sources, features, defaultFeatures, ranker, fallbackRanker, buildBatch, popular });
 * const res = await rec.recommend({ userId: 42, count: 20 });
 */
export class Recommender {
  readonly metrics: RecommendMetrics;
  readonly stages: { features: GuardedStage; ranking: GuardedStage; sources: Map<string, GuardedStage> };
  private readonly budgets: StageBudgets;
  private ranker: Ranker;

  constructor(private readonly options: RecommenderOptions) {
    this.metrics = options.metrics ?? new RecommendMetrics();
    this.budgets = { ...DEFAULT_STAGE_BUDGETS, ...options.budgets };
    this.ranker = options.ranker;
    const guard = (name: string, timeoutMs: number): GuardedStage =>
      new GuardedStage(name, { timeoutMs, failuresToOpen: options.failuresToOpen, halfOpenAfterMs: options.halfOpenAfterMs });
    this.stages = {
      features: guard('features', this.budgets.features),
      ranking: guard('ranking', this.budgets.ranking),
      sources: new Map(options.sources.map((s) => [s.source.name, guard(`retrieval_${s.source.name}`, this.budgets.retrieval)])),
    };
  }

  /** Swaps the production ranker (a newly promoted model version). */
  setRanker(ranker: Ranker): void {
    this.ranker = ranker;
  }

  /** Answers one request; never throws for a dependency failure (it degrades instead). */
  async recommend(request: RecommendRequest): Promise<RecommendResponse> {
    const t0 = performance.now();
    try {
      return await this.recommendOnce(request, t0);
    } catch (err) {
      // Last line of defence: a bug or an unguarded dependency still gets an answer.
      const timings: Record<string, number> = {};
      this.metrics.stageFailures.inc({ stage: 'request', reason: 'error' });
      // The message may hold internals (addresses, paths): it is reported, and the response names only the reason.
      (this.options.onInternalError ?? reportToStderr)(err);
      const res = this.popularResponse(request, request.count ?? 20, new Set(), { request: 'error' }, timings, {});
      return this.finish(res, t0, timings);
    }
  }

  private async recommendOnce(request: RecommendRequest, t0: number): Promise<RecommendResponse> {
    const count = request.count ?? 20;
    const context: RequestContext = { timeMs: Date.now(), ...request.context };
    const degraded: Record<string, string> = {};
    const timings: Record<string, number> = {};
    let level: DegradationLevel = DegradationLevel.FULL;
    const m = this.metrics;
    const stage = (name: string, start: number): void => {
      const ms = performance.now() - start;
      timings[name] = Math.round(ms * 100) / 100;
      m.stageSeconds.observe({ stage: name }, ms / 1000);
    };
    const fail = (name: string, r: StageResult<unknown> & { ok: false }): void => {
      degraded[name] = r.reason;
      m.stageFailures.inc({ stage: name, reason: r.reason });
    };

    // 1. Feature lookup starts now; sources that need features await the same promise.
    const featuresPromise = (async (): Promise<UserFeatures> => {
      const start = performance.now();
      const r = await this.stages.features.run((signal) => this.options.features(request.userId, context, signal));
      stage('features', start);
      if (r.ok) {
        if (r.value.stale) degraded.features = 'stale';
        return r.value;
      }
      fail('features', r);
      return { ...(await this.options.defaultFeatures(request.userId)), stale: true };
    })();

    // 2. Retrieval from every source in parallel, each under its own budget and breaker.
    const retrievalStart = performance.now();
    const ctxAbort = new AbortController();
    const ctx: RetrievalContext = { userId: request.userId, context, features: featuresPromise, signal: ctxAbort.signal };
    const lists = await Promise.all(
      this.options.sources.map(async ({ source, k }) => {
        const start = performance.now();
        const r = await this.stages.sources
          .get(source.name)!
          .run(() => source.retrieve(ctx, k), this.remaining(t0, this.budgets.retrieval));
        stage(`retrieval_${source.name}`, start);
        if (!r.ok) {
          fail(`retrieval_${source.name}`, r);
          return { source: source.name, items: [] as ScoredItem[] };
        }
        m.candidates.inc({ source: source.name }, r.value.length);
        return { source: source.name, items: r.value };
      }),
    );
    ctxAbort.abort(RETRIEVAL_DONE);
    const merged = mergeCandidates(lists, this.options.catalog, this.options.candidateLimit ?? 500);
    stage('retrieval', retrievalStart);
    m.candidatesPerRequest.observe(merged.candidates.length);
    if (merged.droppedNotInCatalog > 0) m.droppedNotInCatalog.inc(merged.droppedNotInCatalog);

    const features = await featuresPromise;
    if (features.stale) level = worseLevel(level, DegradationLevel.STALE_FEATURES);
    const seen = features.seenItems ?? new Set<ItemId>(features.recentItems);
    const modelVersions: Record<string, string> = {};
    for (const { source } of this.options.sources) if (source.version) modelVersions[source.name] = source.version;

    if (merged.candidates.length === 0) {
      return this.finish(this.popularResponse(request, count, seen, degraded, timings, modelVersions), t0, timings);
    }

    // 3. Ranking: cold users by their Bayesian preference model, others by the ranker in one batch.
    const rankStart = performance.now();
    const candidates = merged.candidates;
    let scores: Float32Array;
    const cold = this.options.coldStart;
    if (cold && features.interactionCount < cold.threshold) {
      scores = cold.score(
        request.userId,
        candidates.map((c) => c.itemId),
      );
      modelVersions.ranker = cold.version;
    } else {
      const batch = this.options.buildBatch(features, candidates, context);
      const ranker = this.ranker;
      const r = await this.stages.ranking.run((signal) => ranker.score(batch, signal), this.remaining(t0, this.budgets.ranking));
      if (r.ok && r.value.length === candidates.length) {
        scores = r.value;
        modelVersions.ranker = ranker.version;
        this.options.shadow?.maybeCompare(batch, scores);
      } else {
        if (!r.ok) fail('ranking', r);
        else degraded.ranking = 'wrong_length';
        level = worseLevel(level, DegradationLevel.SIMPLE_RANKING);
        scores = await this.options.fallbackRanker.score(batch);
        modelVersions.ranker = this.options.fallbackRanker.version;
      }
    }
    // A NaN or infinite score would sort unpredictably; the item keeps its retrieval score instead.
    let nonFinite = 0;
    const ranked: RankedItem[] = candidates.map((c, i) => {
      let s = scores[i]!;
      if (!Number.isFinite(s)) {
        nonFinite++;
        s = c.retrievalScore;
      }
      return { itemId: c.itemId, score: s, sources: c.sources };
    });
    if (nonFinite > 0) {
      m.nonFiniteScores.inc({ model_version: modelVersions.ranker ?? 'unknown' }, nonFinite);
      degraded.nonFiniteScores = String(nonFinite);
    }
    stage('ranking', rankStart);

    // 4. Re-ranking rules, in their stated order, plus a filter of items the user already saw.
    const rerankStart = performance.now();
    const rules = this.options.rerank ?? {};
    const items = rerank(ranked, {
      ...rules,
      count,
      genresOf: rules.genresOf ?? ((id) => this.options.catalog.genres(id)),
      filters: [{ name: 'seen', keep: (i) => !seen.has(i.itemId) }, ...(rules.filters ?? [])],
    });
    rules.exposure?.tracker.record(
      items.map((i) => i.itemId),
      rules.exposure.timeMs,
    );
    stage('rerank', rerankStart);
    return this.finish(
      { userId: request.userId, items, modelVersions, degradationLevel: level, degraded, timingsMs: timings },
      t0,
      timings,
    );
  }

  private remaining(t0: number, stageBudget: number): number {
    return Math.min(stageBudget, this.budgets.total - (performance.now() - t0));
  }

  private popularResponse(
    request: RecommendRequest,
    count: number,
    seen: ReadonlySet<ItemId>,
    degraded: Record<string, string>,
    timings: Record<string, number>,
    modelVersions: Record<string, string>,
  ): RecommendResponse {
    const list = this.options.popular(request.userId, count + seen.size + 50);
    const items = list
      .filter((i) => this.options.catalog.has(i.itemId) && !seen.has(i.itemId))
      .slice(0, count)
      .map((i) => ({ itemId: i.itemId, score: i.score, sources: ['popular'] }));
    degraded.retrieval = 'no_candidates';
    return {
      userId: request.userId,
      items,
      modelVersions: { ...modelVersions, ranker: 'popular' },
      degradationLevel: DegradationLevel.POPULAR,
      degraded,
      timingsMs: timings,
    };
  }

  private finish(res: RecommendResponse, t0: number, timings: Record<string, number>): RecommendResponse {
    const ms = performance.now() - t0;
    timings.total = Math.round(ms * 100) / 100;
    this.metrics.stageSeconds.observe({ stage: 'total' }, ms / 1000);
    this.metrics.responses.inc({ level: res.degradationLevel });
    return res;
  }
}
