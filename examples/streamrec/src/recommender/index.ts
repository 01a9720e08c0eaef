/**
 * StreamRec's recommender: the request path (features overlapped with retrieval from four sources,
 * merge, one ranking batch, re-ranking rules), its sources, catalog, cold start, metrics and HTTP
 * server, built on @frec/model-serving's rankers, item index, guarded stages and shadow scoring.
 */
export * from './types.js';
export type { RetrievalSource, RetrievalContext, SourceQuota, Catalog } from './sources/retrieval-source.js';
export { InMemoryCatalog, type CatalogItem } from './in-memory-catalog.js';
export { mergeCandidates, type Candidate, type MergeResult } from './merge-candidates.js';
export { TrendingSource, type InteractionEvent } from './sources/trending-source.js';
export { CoOccurrenceSource, type CoOccurrenceOptions } from './sources/co-occurrence-source.js';
export { buildCoOccurrenceTable, type CoOccurrenceTable as CoOccurrenceCsr } from './sources/co-occurrence-table.js';
export { ContentSimilaritySource } from './sources/content-similarity-source.js';
export { AnnSource, type VectorIndex, type AnnSourceOptions } from './sources/ann-source.js';
export { ReloadableItemIndex, type IndexLoadReport } from './sources/reloadable-index.js';
export { Recommender, type RecommenderOptions, type FeatureLookup, type BatchBuilder } from './recommender.js';
export { RecommendMetrics } from './recommend-metrics.js';
export { createRecommendServer, parseRequest, type RecommendServerOptions } from './server/recommend-server.js';
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
export { svdItemEmbeddings, type ItemEmbeddings } from './cold-start/item-embeddings.js';
export { featureStoreLookup, type FeatureStoreLookupOptions, type LookupStatus } from './feature-store-lookup.js';
