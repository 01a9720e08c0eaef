import { ErrorCode, FrecError, type FeatureStore } from '@frec/core';
import type { Interactions } from '../../data/interactions.js';
import type { RankerData } from '../../models/index.js';
import { rankerTrainingSet } from '../../training-sets/build-training-sets.js';
import { LOOKUP_OFFSET_MS } from '../../training-sets/historical-rows.js';
import { halfLivesMs, ItemTimeline } from '../../ranking/request-signals.js';
import type { RankerSetConfig } from '../config.js';
import type { Step } from '../step.js';
import { validationSlice, type ValidationSlice } from '../../eval/validation.js';
import { OfflineCandidates, sampleRankerExamples } from '../two-stage/index.js';
import { windowOptions, type SplitData } from './split.js';
import type { QueryTuning } from './tune-query.js';

/** The ranker's training set and the candidate sources it was drawn from (the blend and the evaluation rank theirs too). */
export interface RankerSet {
  /** One group per request: its positive, then its negatives (listwise training, ADR 0077). */
  data: RankerData & { group: Int32Array };
  sources: OfflineCandidates;
  /**
   * The split's training events by item, for the request signals (item popularity with decay, item
   * age) of every row the ranker scores offline; its half-lives are registered for serving.
   */
  timeline: ItemTimeline;
  /** The user of each row (rows of one request share it): cross-fitting folds split by user. */
  rowUser: Int32Array;
  /** Cross-fitting folds of the blend (RankerSetConfig.blendFolds). */
  folds: number;
  /** The users the blend is tuned on: every held-out user when folds >= 2, else the validation slice the ranker left out. */
  blendUsers: ValidationSlice;
}

/** The cross-fitting fold of a user: a seeded hash, the same in every step. */
export function foldOf(user: number, folds: number, seed: number): number {
  return ((Math.imul(user + 1, 0x9e3779b1) ^ seed) >>> 0) % folds;
}

/**
 * Build ranker set: for a seeded sample of held-out events (every held-out user's when the blend is
 * cross-fitted, else not the validation slice's), the offline
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
    const crossFit = config.blendFolds >= 2;
    const sources = new OfflineCandidates(data, split.train, config.candidates, split.itemFirstSeenMs ?? null);
    const times = Float64Array.from(split.train, (e) => data.timeMs[e]!);
    const timeline = new ItemTimeline(
      Int32Array.from(split.train, (e) => data.item[e]!),
      times,
      data.itemIds.length,
      halfLivesMs(times),
    );
    const set = await ctx.time('ranker-training-set', async () => {
      const examples = sampleRankerExamples({
        data,
        train: split.train,
        userFeatures: s.towerSet.userFeatures,
        params: query.tower,
        itemEmbeddings: query.itemEmbeddings,
        from: crossFit ? s.holdout : s.validation.rankerFrom,
        positives: config.positives,
        negatives: config.negatives,
        sources,
        lookupOffsetMs: LOOKUP_OFFSET_MS,
        seed: ctx.seed,
        recentItems: s.towerSet.recentItems,
        history: query.history,
        ...(query.itemBias ? { itemBias: query.itemBias } : {}),
        ...(query.itemBiasByWindow ? { itemBiasAt: query.biasAt } : {}),
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
      const rows = await rankerTrainingSet(store, data, examples, s.catalog.genresOf, timeline);
      // Each request's rows are its positive followed by its negatives (sampleRankerExamples).
      let g = -1;
      return {
        rows: { ...rows, group: Int32Array.from(examples, (x) => (x.label === 1 ? ++g : g)) },
        rowUser: Int32Array.from(examples, (x) => x.user),
      };
    });
    const blendUsers = crossFit
      ? validationSlice(data, split, s.holdout, {
          share: 1,
          maxUsers: Number.POSITIVE_INFINITY,
          seed: ctx.seed,
          ...(s.askAtMs !== undefined ? { askAtMs: s.askAtMs } : {}),
          ...windowOptions(s),
        })
      : s.validation;
    return { data: set.rows, sources, timeline, rowUser: set.rowUser, folds: crossFit ? config.blendFolds : 1, blendUsers };
  },
};
