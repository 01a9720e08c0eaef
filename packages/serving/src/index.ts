/**
 * @frec/serving: serve features over HTTP (the Feast-compatible feature server) and, built on
 * the SDK, the recommender's serving path.
 */
// The HTTP feature server (`frec serve`); also `@frec/serving/feature-server` on its own.
export * from './feature-server/index.js';

// Recommender serving path: retrieval, ranking, re-ranking, cold start, resilience, shadow mode.
export * from './recommend/types.js';
export type { RetrievalSource, RetrievalContext, SourceQuota, Catalog } from './recommend/retrieval-source.js';
export { InMemoryCatalog, type CatalogItem } from './recommend/in-memory-catalog.js';
export { mergeCandidates, type Candidate, type MergeResult } from './recommend/merge-candidates.js';
export { topK } from './recommend/top-k.js';
export { TrendingSource, type InteractionEvent } from './recommend/trending-source.js';
export { CoOccurrenceSource, type CoOccurrenceOptions } from './recommend/co-occurrence-source.js';
export { buildCoOccurrenceTable, type CoOccurrenceTable as CoOccurrenceCsr } from './recommend/co-occurrence-table.js';
export { ContentSimilaritySource } from './recommend/content-similarity-source.js';
export { AnnSource, ExactVectorIndex, type VectorIndex, type AnnSourceOptions } from './recommend/ann-source.js';
export { Recommender, type RecommenderOptions, type FeatureLookup, type BatchBuilder } from './recommend/recommender.js';
export { RecommendMetrics } from './recommend/recommend-metrics.js';
export { createRecommendServer, parseRequest, type RecommendServerOptions } from './recommend/recommend-server.js';
export { concatRankBatch, type Ranker, type RankBatch, type FloatTensor } from './ranking/ranker.js';
export { OnnxRanker, type OnnxRankerOptions } from './ranking/onnx/onnx-ranker.js';
export {
  KServeClient,
  type KServeClientOptions,
  type KServeModelMetadata,
  type KServeTensorMetadata,
} from './ranking/triton/kserve-client.js';
export { TritonRanker, type TritonRankerOptions } from './ranking/triton/triton-ranker.js';
export { LogisticRanker } from './ranking/simple/logistic-ranker.js';
export { RetrievalScoreRanker } from './ranking/simple/retrieval-score-ranker.js';
export {
  rerank,
  RERANK_ORDER,
  type RankedItem,
  type ItemFilter,
  type DiversityRule,
  type RerankOptions,
} from './rerank/rerank-pipeline.js';
export { ExposureTracker } from './rerank/exposure-tracker.js';
export { BayesianPreference, fitPopulationPrior, type PopulationPrior } from './cold-start/bayesian-preference.js';
export { ColdStartModel, type ColdStartOptions } from './cold-start/cold-start-ranker.js';
export { DegradationLevel, DEGRADATION_LEVELS, worseLevel } from './resilience/degradation-level.js';
export { GuardedStage, type GuardedStageOptions, type StageResult, type StageFailure } from './resilience/guarded-stage.js';
export { DEFAULT_STAGE_BUDGETS, type StageBudgets } from './resilience/stage-budgets.js';
export { ShadowScorer, topKOverlap, type ShadowOptions, type ShadowStats } from './shadow/shadow-scorer.js';
export { featureStoreLookup, type FeatureStoreLookupOptions, type LookupStatus } from './recommend/feature-store-lookup.js';
export { svdItemEmbeddings, type ItemEmbeddings } from './cold-start/item-embeddings.js';
export { ReloadableItemIndex, type IndexLoadReport } from './recommend/reloadable-index.js';
export * from './ann/index.js';
