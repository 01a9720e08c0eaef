import { allTimePopularity } from '../../baselines/popularity.js';
import type { Interactions } from '../../data/interactions.js';
import type { TowerEnsemble } from '../../models/index.js';
import { buildCoOccurrence, lastShare, popularityPrior, retrievalBias } from '../../retrieval/index.js';
import type { NoConfig, Step } from '../step.js';
import { embedCatalog, type CoOccurrenceTerm } from '../two-stage/index.js';
import type { SplitData } from './split.js';
import type { RetrievalTraining } from './train-retrieval.js';
import type { QueryTuning } from './tune-query.js';

/** The served retriever: the ensemble trained on every training event, with the tuned query's terms recounted over those events. */
export interface ServedRetrieval {
  tower: TowerEnsemble;
  itemEmbeddings: Float32Array;
  /** The popularity prior at the tuned weight; absent at weight 0. */
  itemBias: Float32Array | undefined;
  coOccurrence: CoOccurrenceTerm;
}

/**
 * Refit: every choice so far was made on the holdout; the served retriever then learns from all
 * training events, the holdout included (the most recent tenth of each user's history), and its
 * prior and co-occurrence table count those events, at the weights tuned on the holdout.
 */
export const refitStep: Step<
  NoConfig,
  { data: Interactions; split: SplitData; retrieval: RetrievalTraining; query: QueryTuning },
  ServedRetrieval
> = {
  name: 'refit',
  async run({ data, split: s, retrieval, query }, _config, ctx) {
    return ctx.time('refit-two-tower', async () => {
      const tower = await retrieval.served;
      const { train } = s.split;
      const itemBias =
        query.popularityWeight !== 0
          ? retrievalBias(
              popularityPrior(allTimePopularity(data, lastShare(train, query.popularityShare)), tower.members[0]!.config.temperature),
              query.popularityWeight,
            )
          : undefined;
      const table = buildCoOccurrence(data.user, data.item, train, data.itemIds.length, query.coOccurrenceOptions);
      return { tower, itemEmbeddings: embedCatalog(tower, s.catalog), itemBias, coOccurrence: { table, weight: query.coOccurrenceWeight } };
    });
  },
};
