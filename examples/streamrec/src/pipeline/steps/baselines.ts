import { bprScores, trainBpr } from '../../baselines/bpr-mf.js';
import { allTimePopularity, recentPopularity } from '../../baselines/popularity.js';
import { describeBaselineTuning, TUNED_BASELINES, tuneAndEvaluate } from '../../baselines/tuned-baselines.js';
import { innerSplit, windowSplit } from '../../eval/inner-split.js';
import type { Interactions } from '../../data/interactions.js';
import { evaluate, rankByScores, type EvalResult, type RankFn } from '../../eval/evaluate.js';
import type { BaselinesConfig } from '../config.js';
import type { Step, StepContext } from '../step.js';
import type { SplitData } from './split.js';

/** A baseline of the metrics table: its name and how it ranks the catalog, trained on the split's training events. */
export interface Baseline {
  model: string;
  /** Also report Recall@500 (for retrieval-like baselines). */
  recall500?: boolean;
  ranker(data: Interactions, split: SplitData, config: BaselinesConfig, ctx: StepContext): RankFn;
}

/** The baselines, in the order of the metrics table. */
export const BASELINES: readonly Baseline[] = [
  {
    model: 'popularity_all_time',
    ranker(data, { split }) {
      const pop = allTimePopularity(data, split.train);
      return rankByScores(() => pop);
    },
  },
  {
    model: 'popularity_recent_30d',
    ranker(data, { split }) {
      const cache = new Map<number, Float32Array>();
      return rankByScores((_u, at) => {
        let r = cache.get(at);
        if (!r) cache.set(at, (r = recentPopularity(data, split.train, at)));
        return r;
      });
    },
  },
  {
    model: 'bpr_mf',
    recall500: true,
    ranker(data, { split }, config, ctx) {
      const mf = trainBpr(data, split.train, {
        seed: ctx.seed,
        ...config.bpr,
        onEpoch: (e, l) => ctx.progress('baselines', `bpr epoch ${e} loss ${l.toFixed(4)}`),
      });
      return rankByScores((u) => bprScores(mf, u));
    },
  },
];

/**
 * Baselines: every baseline trained and evaluated on one split, then the classical ones
 * (TUNED_BASELINES: recent popularity with a validated window, EASE, ItemKNN, PureSVD), each with its
 * hyper-parameter chosen on the split's inner validation split (innerSplit). The runner runs it after every
 * split's towers are queued: the towers are the pipeline's longest path, so nothing goes before them.
 */
export const baselinesStep: Step<BaselinesConfig, { data: Interactions; split: SplitData }, EvalResult[]> = {
  name: 'baselines',
  async run({ data, split }, config, ctx) {
    const fixed = await ctx.time('baselines', () =>
      BASELINES.map((b) =>
        evaluate(b.model, split.split, split.seen, b.ranker(data, split, config, ctx), b.recall500 ? { recall500: true } : {}),
      ),
    );
    if (!config.classical) return fixed;
    const tuned = await ctx.time('classical-baselines', () => {
      const validation = innerSplit(data, split.split);
      // The split's validation windows, when its holdout is several (the system's own are chosen on them too).
      const starts = split.windowStartsMs && split.windowStartsMs.length > 1 ? split.windowStartsMs : undefined;
      const windows = starts?.map((t, k) =>
        windowSplit(data, split.split.train, t, starts[k + 1] ?? Number.POSITIVE_INFINITY, split.split),
      );
      return TUNED_BASELINES.map((b) => {
        const v = b.pooledWindows && windows ? windows : validation;
        const { result, tuning } = tuneAndEvaluate(b, data, split.split, split.seen, ctx.seed, v);
        ctx.log(`  ${ctx.protocol}: ${describeBaselineTuning(tuning)}`);
        return result;
      });
    });
    return [...fixed, ...tuned];
  },
};
