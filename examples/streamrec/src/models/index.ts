/**
 * StreamRec models: two-tower retrieval and the DCN-V2 ranker, trained in typed arrays (ADR 0060).
 */
export type * from './types.js';
export {
  trainTwoTower,
  userTowerForward,
  itemTowerForward,
  itemLogQFromCounts,
  validateTwoTowerData,
  twoTowerConfig,
  initTwoTower,
  TwoTowerTrainer,
  DEFAULT_TWO_TOWER_CONFIG,
} from './two-tower.js';
export { trainRanker, rankerPredict, validateRankerData, dcnConfig, initDcn, DcnTrainer, DEFAULT_DCN_CONFIG } from './dcn.js';
export { ModelInputError } from './model-input-error.js';
export { Rng } from './rng.js';
export { serializeParams, deserializeParams } from './params-io.js';
export { historyQuery, RECENT_WEIGHT_GRID, RECENT_DECAY_GRID, type HistoryQueryParams } from './history-query.js';
export {
  towerEnsemble,
  asEnsemble,
  ensembleDim,
  ensembleShape,
  ensembleUserForward,
  ensembleItemForward,
  type TowerEnsemble,
} from './tower-ensemble.js';
export { TowerTrainingPool, type TowerJob } from './tower-pool/index.js';
export { popularityPrior, retrievalBias, addBias, withBiasColumn, withUnitColumn, POPULARITY_WEIGHT_GRID } from './popularity-prior.js';
export {
  buildCoOccurrence,
  DEFAULT_CO_OCCURRENCE,
  coOccurrenceScores,
  type CoOccurrenceTable,
  type CoOccurrenceOptions,
} from './co-occurrence.js';
