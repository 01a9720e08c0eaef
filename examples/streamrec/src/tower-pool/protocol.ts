import { trainTwoTower } from '../models/two-tower.js';
import type { EpochStats, TwoTowerConfig, TwoTowerData, TwoTowerParams } from '../models/types.js';
import type { HistoryQueryParams } from '../retrieval/history-query.js';

/** One two-tower training, as the pool hands it to a worker thread. */
export interface TowerJob {
  data: TwoTowerData;
  config: Partial<TwoTowerConfig>;
  history?: HistoryQueryParams;
  /** Warm start: the parameters training starts from, laid out on this data (warmTwoTower). */
  init?: TwoTowerParams;
}

/** Runs one job: the same call on a worker thread and in process, so both give the same bytes. */
export function trainTowerJob(job: TowerJob, onEpoch?: (stats: EpochStats) => void): TwoTowerParams {
  return trainTwoTower(job.data, job.config, {
    ...(job.history ? { history: job.history } : {}),
    ...(job.init ? { init: job.init } : {}),
    ...(onEpoch ? { onEpoch } : {}),
  }).params;
}

export interface TowerJobMessage extends TowerJob {
  id: number;
}

export type TowerWorkerReply =
  | { id: number; type: 'epoch'; stats: EpochStats }
  | { id: number; type: 'done'; params: TwoTowerParams }
  | { id: number; type: 'error'; error: { name: string; message: string; code?: string; hint?: string } };
