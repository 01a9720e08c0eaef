/**
 * StreamRec models: two-tower retrieval (one tower or a seeded ensemble) and the DCN-V2 ranker,
 * trained in typed arrays on the kernels of ../nn (ADR 0060).
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
export { serializeParams, deserializeParams } from '../nn/params-io.js';
export {
  towerEnsemble,
  asEnsemble,
  ensembleDim,
  ensembleShape,
  ensembleUserForward,
  ensembleItemForward,
  type TowerEnsemble,
} from './tower-ensemble.js';
