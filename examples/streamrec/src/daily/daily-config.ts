import type { DeepPartial, StepConfigs } from '../pipeline/config.js';

/**
 * The pipeline's step settings for the daily job: one tower per ensemble, fewer epochs and a
 * smaller ranker set than `npm run train`, aimed at the 2-minute budget for one day of
 * latest-small on 2 cores (a day reusing the tuned values: 114 CPU-seconds for the whole job, a
 * searching day 133-163; not yet shown under 2 minutes of wall, docs/benchmarks.md). BPR-MF is
 * only a baseline in the metrics table here, so it gets 3 epochs.
 * docs/benchmarks.md ("StreamRec daily job") records the step times these give.
 */
export const DAILY_STEP_CONFIGS: DeepPartial<StepConfigs> = {
  // The classical baselines (EASE, ItemKNN, PureSVD, tuned recent popularity) are rows of the
  // held-out table only, nothing serves them: 153 s of a 434 s day (docs/benchmarks.md).
  baselines: { bpr: { epochs: 3 }, classical: false },
  trainRetrieval: { members: 1, tower: { epochs: 3 } },
  rankerSet: { positives: 4000 },
  trainRanker: { dcn: { epochs: 2 } },
  // The day's held-out slice is one window; the tuning record (tuning-record.ts) keeps the prior's
  // weight but not a recent share, so a reused pair must count every event as it was chosen on.
  split: { validationWindows: 1 },
  tuneQuery: { popularityShares: [1] },
};

/**
 * Whether the daily job warm-starts from production by default. Chosen by the measurement in
 * docs/experiments/daily-warm-start.md (rule: warm when its held-out NDCG@20 is not below cold's
 * by more than the paired tolerance and its training takes less CPU). Measured: 0.69x of cold's
 * training CPU, quality undecidable on the 5 + 2 users of the validation day (all point estimates
 * favour cold), so it stays off.
 */
export const DAILY_WARM_START = false;

/** A warm-started day's step settings over the cold ones: one epoch per model, starting from production's weights. */
export const DAILY_WARM_STEPS: DeepPartial<StepConfigs> = {
  trainRetrieval: { tower: { epochs: 1 } },
  trainRanker: { dcn: { epochs: 1 } },
};

/**
 * Days a production pair's tuned values (query weights, decay, prior, co-occurrence, blend weight:
 * everything chosen by a validation search) are reused before the daily job searches again. A
 * day without the search skips tune-history-query and tune-blend (docs/benchmarks.md, "StreamRec
 * daily job"); a day with no production pair, no tuning record or a changed feature schema
 * always searches (decideTuning).
 */
export const DAILY_RETUNE_EVERY_DAYS = 7;

/** Held-out slice of the daily job: at least this many of the newest events (or the day's, when more). */
export const MIN_HOLDOUT_EVENTS = 500;

/**
 * The daily job's held-out slice as the global split's test fraction: the events of the day, or
 * the newest MIN_HOLDOUT_EVENTS when the day has fewer, at most half of the data. The models
 * train on everything before it, so the newest day is never both trained and evaluated on.
 */
export function holdoutFraction(events: number, eventsOnDay: number, minEvents = MIN_HOLDOUT_EVENTS): number {
  if (events <= 0) return 0.5;
  return Math.min(0.5, Math.max(eventsOnDay, minEvents) / events);
}

/**
 * The replay's training settings over DAILY_STEP_CONFIGS: one tower epoch fewer and a coarser
 * query grid, so two weeks of days replay within the session on 2 shared cores.
 */
export const DAILY_REPLAY_STEPS: DeepPartial<StepConfigs> = {
  trainRetrieval: { tower: { epochs: 2 } },
  tuneQuery: { recentWeights: [1], recentDecays: [0.25, 1], popularityWeights: [0, 0.5], coOccurrenceWeights: [0, 0.4] },
  rankerSet: { positives: 3000 },
};
