/** StreamRec serving: the wired request path, its HTTP server and the SDK call. */
export { buildStreamRec, FEATURE_REPO, type StreamRec, type StreamRecOptions, type UserFeatureSource } from './streamrec-recommender.js';
export { startRecommender, recommend, type StartRecommenderOptions, type RunningRecommender } from './start-recommender.js';
export { loadProductionModels, ParamsRanker, type LoadedModels } from './load-models.js';
export { onlineUserFeatures } from './online-user-features.js';
export { readMovieLens, DEFAULT_DATA_DIR, type MovieLensSnapshot } from './movielens-snapshot.js';
export { fetchLatencyReport, streamRecEngagement, formatEngagement } from './monitor-cli.js';
