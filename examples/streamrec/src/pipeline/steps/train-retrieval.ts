import { towerEnsemble, twoTowerConfig, type TowerEnsemble, type TwoTowerData } from '../../models/index.js';
import { warmTwoTower, type IdMaps } from '../../models/warm-start.js';
import type { TowerTrainingPool } from '../../tower-pool/index.js';
import type { TrainRetrievalConfig } from '../config.js';
import type { Step } from '../step.js';
import type { SplitData } from './split.js';

/** The two ensembles of one split, training on worker threads: awaited by the steps that need them. */
export interface RetrievalTraining {
  /** Trained without the ranker's holdout: the query is tuned on it and it feeds the ranker. */
  tuned: Promise<TowerEnsemble>;
  /** Trained on every training event: served and evaluated (the refit step awaits it). */
  served: Promise<TowerEnsemble>;
  /** Training rows of the served ensemble. */
  trainRows: number;
}

/**
 * Train retrieval: queues the split's two ensembles on the training pool and returns at once. The
 * runner queues every split's ensembles before it awaits any, so the worker threads never idle
 * while the main thread evaluates the baselines, tunes the query and trains the ranker (ADR 0075).
 */
export const trainRetrievalStep: Step<TrainRetrievalConfig, { split: SplitData; pool: TowerTrainingPool; ids: IdMaps }, RetrievalTraining> =
  {
    name: 'train-retrieval',
    async run({ split, pool, ids }, config, ctx) {
      const ensemble = (what: string, d: TwoTowerData): Promise<TowerEnsemble> => {
        const members = config.members;
        // Member k differs only in its seed; the same seed for the tuned and the refit member.
        const trained = Array.from({ length: members }, async (_, k) => {
          let seconds = 0;
          const tower = { ...config.tower, seed: (config.tower.seed ?? ctx.seed) + 100 * k };
          const warm = config.warmStart;
          const from = warm?.params.members[k] ?? warm?.params.members[0];
          const init = warm && from ? warmTwoTower(from, warm.ids, d, ids, twoTowerConfig(tower)) : undefined;
          if (warm && !init) ctx.log(`  ${what} member ${k + 1}: the production tower does not fit this data's widths; trained cold`);
          const params = await pool.train({ data: d, config: tower, history: config.history, ...(init ? { init } : {}) }, (s) => {
            seconds += s.seconds;
            const loss = `loss ${s.loss.toFixed(4)} (${Math.round(s.examplesPerSecond)} ex/s)`;
            ctx.progress(what, `member ${k + 1}/${members} epoch ${s.epoch} ${loss}`);
          });
          ctx.worker(`${what} member ${k + 1}`, seconds);
          return params;
        });
        const all = Promise.all(trained).then(towerEnsemble);
        // Awaited later; a failure must not surface as an unhandled rejection before then.
        all.catch(() => {});
        return all;
      };
      const tuned = ensemble('train-two-tower', withoutRows(split.towerSet, split.holdout));
      if (!config.refit) return { tuned, served: tuned, trainRows: split.towerSet.userIndex.length - split.holdout.length };
      const served = ensemble('refit-two-tower', split.towerSet);
      return { tuned, served, trainRows: split.towerSet.userIndex.length };
    },
  };

/** The two-tower data without the given rows (the ranker's held-out events). */
function withoutRows(d: TwoTowerData, drop: Int32Array): TwoTowerData {
  const skip = new Uint8Array(d.userIndex.length);
  for (const r of drop) skip[r] = 1;
  const keep: number[] = [];
  for (let i = 0; i < skip.length; i++) if (!skip[i]) keep.push(i);
  const userFeatures = new Float32Array(keep.length * d.dUser);
  keep.forEach((r, i) => userFeatures.set(d.userFeatures.subarray(r * d.dUser, (r + 1) * d.dUser), i * d.dUser));
  const recentItems = d.recentItems ? keep.map((r) => d.recentItems![r]!) : undefined;
  return {
    ...d,
    userIndex: Int32Array.from(keep, (r) => d.userIndex[r]!),
    itemIndex: Int32Array.from(keep, (r) => d.itemIndex[r]!),
    userFeatures,
    ...(recentItems ? { recentItems } : {}),
  };
}
