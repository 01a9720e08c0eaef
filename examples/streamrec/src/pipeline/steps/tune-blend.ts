import type { FeatureStore } from '@frec/core';
import type { Interactions } from '../../data/interactions.js';
import type { DcnParams } from '../../models/index.js';
import type { TuneBlendConfig } from '../config.js';
import type { Step } from '../step.js';
import { scoreTwoStage, tuneBlend, type BlendTuneResult } from '../two-stage/index.js';
import type { RankerSet } from './ranker-set.js';
import { heldOutRequests, type SplitData } from './split.js';
import type { QueryTuning } from './tune-query.js';

/**
 * Tune blend: the two stages score the validation users' requests with the tuned tower and query,
 * and tuneBlend picks the ranker's weight against the retrieval score (0 unless it gains more than one standard error).
 */
export const tuneBlendStep: Step<
  TuneBlendConfig,
  { store: FeatureStore; data: Interactions; split: SplitData; query: QueryTuning; rankerSet: RankerSet; ranker: DcnParams },
  BlendTuneResult
> = {
  name: 'tune-blend',
  async run({ store, data, split: s, query, rankerSet, ranker }, config, ctx) {
    return ctx.time('tune-blend', async () => {
      const requests = heldOutRequests(s.validation, s.towerSet, data, s.split);
      const scored = await scoreTwoStage({
        store,
        data,
        tower: query.tower,
        ranker,
        itemEmbeddings: query.itemEmbeddings,
        genresOf: s.catalog.genresOf,
        sources: rankerSet.sources,
        history: query.history,
        requests,
        ...(query.itemBias ? { itemBias: query.itemBias } : {}),
        coOccurrence: query.coOccurrence,
        userVecs: new Map(requests.map((q) => [q.user, q.vector])),
        recent: new Map(requests.map((q) => [q.user, q.recent])),
      });
      const tuned = tuneBlend(scored, s.validation.relevant, config.weights);
      const gain = `gain over 0 ${tuned.gain.toFixed(4)}, one standard error ${tuned.gainSe.toFixed(4)}`;
      const rule = tuned.best === 0 ? '' : `; best ${tuned.best}: ${gain}`;
      const grid = tuned.grid.map((g) => `${g.weight}:${g.ndcg.toFixed(4)}`).join(' ');
      ctx.log(`  ${ctx.protocol}: blend weight ${tuned.weight} on ${requests.length} validation users (NDCG@20 ${grid}${rule})`);
      return tuned;
    });
  },
};
