/**
 * The offline two-stage system: candidate sources, the retrieval score, the ranker's training
 * examples, the retrieval query's tuning and the blend of ranker and retrieval scores.
 */
export { DEFAULT_CANDIDATE_MIX, OfflineCandidates, type CandidateMix } from './candidates.js';
export { embedCatalog, twoTowerRank, type CoOccurrenceTerm } from './retrieval-score.js';
export { sampleRankerExamples } from './ranker-examples.js';
export { gridLabel, tuneHistoryQuery, tuneRetrievalQuery, type QueryGridPoint, type QueryTuneResult } from './query-tuning.js';
export { scoreTwoStage, type ScoredRequest } from './score-two-stage.js';
export { BLEND_GRID, blendRank, clusteredGain, tuneBlend, type BlendGridPoint, type BlendTuneResult } from './blend.js';
