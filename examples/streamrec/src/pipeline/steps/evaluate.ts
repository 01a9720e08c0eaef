import type { FeatureStore } from '@frec/core';
import type { Interactions } from '../../data/interactions.js';
import { evaluate, type EvalResult } from '../../eval/evaluate.js';
import type { DcnParams } from '../../models/index.js';
import { D_USER, userInputsAt } from '../../training-sets/build-training-sets.js';
import type { EvaluateConfig } from '../config.js';
import type { Step } from '../step.js';
import { blendRank, scoreTwoStage, twoTowerRank, type BlendTuneResult } from '../two-stage/index.js';
import type { RankerSet } from './ranker-set.js';
import type { ServedRetrieval } from './refit.js';
import type { SplitData } from './split.js';
import type { QueryTuning } from './tune-query.js';

/** What the evaluate step ranks with: the served retriever, the tuned query and ranker, the tuned blend. */
export interface EvaluateInput {
  store: FeatureStore;
  data: Interactions;
  split: SplitData;
  query: QueryTuning;
  rankerSet: RankerSet;
  ranker: DcnParams;
  blend: BlendTuneResult;
  served: ServedRetrieval;
}

/**
 * Evaluate: the served two-tower alone (two_tower) and the two stages at the tuned blend
 * (two_tower+dcn_v2) on the split's test users, asked with their point-in-time features.
 */
export const evaluateStep: Step<EvaluateConfig, EvaluateInput, EvalResult[]> = {
  name: 'evaluate',
  async run({ store, data, split: s, query, rankerSet, ranker, blend, served }, config, ctx) {
    const { split, seen } = s;
    return ctx.time('evaluate', async () => {
      const results: EvalResult[] = [];
      const users = [...split.test.keys()];
      const requestsAt = users.map((u) => ({ user: u, atMs: split.evalTimeMs.get(u)! }));
      const inputs = await userInputsAt(store, data, requestsAt, s.catalog.genresOf);
      const userVecs = new Map(users.map((u, i) => [u, inputs.vectors.slice(i * D_USER, (i + 1) * D_USER)]));
      const recent = new Map(users.map((u, i) => [u, inputs.recent[i]!]));
      const alone = twoTowerRank(served.tower, served.itemEmbeddings, userVecs, recent, query.history, served.itemBias);
      results.push(evaluate('two_tower', split, seen, alone, { recall500: true }));
      const empty = new Set<number>();
      const scored = await scoreTwoStage({
        store,
        data,
        tower: served.tower,
        ranker,
        itemEmbeddings: served.itemEmbeddings,
        genresOf: s.catalog.genresOf,
        userVecs,
        sources: rankerSet.sources,
        timeline: rankerSet.timeline,
        recent,
        history: query.history,
        ...(served.itemBias ? { itemBias: served.itemBias } : {}),
        coOccurrence: served.coOccurrence,
        // At blend weight 0 the two-stage order is the retrieval score's: the ranker's scores would be multiplied by 0.
        scoreRanker: blend.weight !== 0 || config.reportBlends,
        requests: users.map((u) => ({ user: u, atMs: split.evalTimeMs.get(u)!, exclude: seen.get(u) ?? empty })),
      });
      results.push(evaluate('two_tower+dcn_v2', split, seen, blendRank(scored, blend.weight)));
      if (config.reportBlends) for (const w of [0, 1]) results.push(evaluate(`two_stage_w${w}`, split, seen, blendRank(scored, w)));
      return results;
    });
  },
};
