import { ErrorCode, FrecError, type FeatureStore } from '@frec/core';
import type { Interactions } from '../../data/interactions.js';
import type { RankerData } from '../../models/index.js';
import { rankerTrainingSet } from '../../training-sets/build-training-sets.js';
import { LOOKUP_OFFSET_MS } from '../../training-sets/historical-rows.js';
import type { RankerSetConfig } from '../config.js';
import type { Step } from '../step.js';
import { OfflineCandidates, sampleRankerExamples } from '../two-stage/index.js';
import type { SplitData } from './split.js';
import type { QueryTuning } from './tune-query.js';

/** The ranker's training set and the candidate sources it was drawn from (the blend and the evaluation rank theirs too). */
export interface RankerSet {
  /** One group per request: its positive, then its negatives (listwise training, ADR 0077). */
  data: RankerData & { group: Int32Array };
  sources: OfflineCandidates;
}

/**
 * Build ranker set: for a seeded sample of held-out events (not the validation users'), the offline
 * candidate sources retrieve with the tuned query; a retrieved event is a positive with `negatives`
 * negatives from its candidates, features read point-in-time through the `ranker_v1` feature service.
 */
export const rankerSetStep: Step<
  RankerSetConfig,
  { store: FeatureStore; data: Interactions; split: SplitData; query: QueryTuning },
  RankerSet
> = {
  name: 'ranker-set',
  async run({ store, data, split: s, query }, config, ctx) {
    const { split } = s;
    const sources = new OfflineCandidates(data, split.train, config.candidates, split.itemFirstSeenMs ?? null);
    const set = await ctx.time('ranker-training-set', async () => {
      const examples = sampleRankerExamples({
        data,
        train: split.train,
        userFeatures: s.towerSet.userFeatures,
        params: query.tower,
        itemEmbeddings: query.itemEmbeddings,
        from: s.validation.rankerFrom,
        positives: config.positives,
        negatives: config.negatives,
        sources,
        lookupOffsetMs: LOOKUP_OFFSET_MS,
        seed: ctx.seed,
        recentItems: s.towerSet.recentItems,
        history: query.history,
        ...(query.itemBias ? { itemBias: query.itemBias } : {}),
        coOccurrence: query.coOccurrence,
      });
      if (!examples.some((x) => x.label === 1)) {
        throw new FrecError(
          ErrorCode.INVALID_REQUEST,
          `No held-out interaction of the ${split.protocol} split was retrieved by any candidate source, ` +
            'so the ranker has no positive example.',
          {
            where: { protocol: split.protocol },
            hint: 'Use more users (drop --max-users), more steps.rankerSet.positives, or more candidates.',
          },
        );
      }
      const rows = await rankerTrainingSet(store, data, examples, s.catalog.genresOf);
      // Each request's rows are its positive followed by its negatives (sampleRankerExamples).
      let g = -1;
      return { ...rows, group: Int32Array.from(examples, (x) => (x.label === 1 ? ++g : g)) };
    });
    return { data: set, sources };
  },
};
