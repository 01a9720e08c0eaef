import type { FeatureStore } from '@frec/core';
import type { Interactions } from '../../data/interactions.js';
import { trainRanker, type DcnParams, type RankerData } from '../../models/index.js';
import type { TrainRankerConfig, TuneBlendConfig } from '../config.js';
import type { Step } from '../step.js';
import { scoreTwoStage, tuneBlend, type BlendTuneResult, type ScoredRequest } from '../two-stage/index.js';
import { foldOf, type RankerSet } from './ranker-set.js';
import { heldOutRequests, type SplitData } from './split.js';
import type { QueryTuning } from './tune-query.js';

/** The rows of the ranker set whose user is not in fold `k`, requests kept whole and in order. */
function withoutFold(set: RankerSet, k: number, seed: number): RankerData & { group: Int32Array } {
  const { data } = set;
  const keep: number[] = [];
  for (let r = 0; r < data.n; r++) if (foldOf(set.rowUser[r]!, set.folds, seed) !== k) keep.push(r);
  const x = new Float32Array(keep.length * data.d);
  keep.forEach((r, i) => x.set(data.x.subarray(r * data.d, (r + 1) * data.d), i * data.d));
  return {
    n: keep.length,
    d: data.d,
    x,
    y: Float32Array.from(keep, (r) => data.y[r]!),
    featureNames: data.featureNames,
    group: Int32Array.from(keep, (r) => data.group[r]!),
  };
}

/**
 * Tune blend: the two stages score the blend users' requests with the tuned tower and query, and
 * tuneBlend picks the ranker's weight against the retrieval score (0 unless it gains more than one
 * standard error). Cross-fitted (rankerSet.folds >= 2): every held-out user, each scored by a ranker
 * trained as train-ranker trains, on the other folds' users only; ~4x the users of the single slice,
 * so half the standard error.
 */
export const tuneBlendStep: Step<
  TuneBlendConfig & { ranker: TrainRankerConfig },
  { store: FeatureStore; data: Interactions; split: SplitData; query: QueryTuning; rankerSet: RankerSet; ranker: DcnParams },
  BlendTuneResult
> = {
  name: 'tune-blend',
  async run({ store, data, split: s, query, rankerSet, ranker }, config, ctx) {
    const { fixed } = config;
    if (fixed !== undefined) {
      ctx.log(`  ${ctx.protocol}: blend weight ${fixed} (chosen by an earlier search, reused: no validation scoring)`);
      return { weight: fixed, best: fixed, gain: 0, gainSe: 0, grid: [] };
    }
    return ctx.time('tune-blend', async () => {
      const all = heldOutRequests(rankerSet.blendUsers, s.towerSet, data, s.split);
      const folds = rankerSet.folds >= 2 ? rankerSet.folds : 1;
      const scored: ScoredRequest[] = [];
      for (let k = 0; k < folds; k++) {
        const requests = folds === 1 ? all : all.filter((q) => foldOf(q.user, folds, ctx.seed) === k);
        if (requests.length === 0) continue;
        const foldRanker =
          folds === 1 ? ranker : trainRanker(withoutFold(rankerSet, k, ctx.seed), { seed: ctx.seed, ...config.ranker.dcn }).params;
        if (folds > 1) ctx.progress('tune-blend', `fold ${k + 1}/${folds}: ranker trained without ${requests.length} users`);
        scored.push(...(await scoreFold(requests, foldRanker)));
      }
      const requests = all;
      const tuned = tuneBlend(scored, rankerSet.blendUsers.relevant, config.weights);
      const gain = `gain over 0 ${tuned.gain.toFixed(4)}, one standard error ${tuned.gainSe.toFixed(4)}`;
      const rule = tuned.best === 0 ? '' : `; best ${tuned.best}: ${gain}`;
      const grid = tuned.grid.map((g) => `${g.weight}:${g.ndcg.toFixed(4)}`).join(' ');
      const how = folds > 1 ? `${folds}-fold cross-fitted, ` : '';
      const users = new Set(requests.map((q) => q.user)).size;
      const who = users === requests.length ? `${users} validation users` : `${requests.length} validation requests of ${users} users`;
      ctx.log(`  ${ctx.protocol}: blend weight ${tuned.weight} on ${who} (${how}NDCG@20 ${grid}${rule})`);
      return tuned;
    });

    async function scoreFold(requests: ReturnType<typeof heldOutRequests>, foldRanker: DcnParams): Promise<ScoredRequest[]> {
      return scoreTwoStage({
        store,
        data,
        tower: query.tower,
        ranker: foldRanker,
        itemEmbeddings: query.itemEmbeddings,
        genresOf: s.catalog.genresOf,
        sources: rankerSet.sources,
        timeline: rankerSet.timeline,
        history: query.history,
        requests: query.itemBiasByWindow ? requests.map((q) => ({ ...q, itemBias: query.biasAt(q.atMs)! })) : requests,
        ...(query.itemBias ? { itemBias: query.itemBias } : {}),
        coOccurrence: query.coOccurrence,
        userVecs: new Map(requests.map((q) => [q.key, q.vector])),
        recent: new Map(requests.map((q) => [q.key, q.recent])),
      });
    }
  },
};
