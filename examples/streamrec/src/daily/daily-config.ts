import type { DeepPartial, StepConfigs } from '../pipeline/config.js';

/**
 * The pipeline's step settings for the daily job: one tower per ensemble, fewer epochs and a
 * smaller ranker set than `npm run train`, so one day of latest-small trains within the 2-minute
 * budget on 2 cores. BPR-MF is only a baseline in the metrics table here, so it gets 3 epochs.
 * docs/benchmarks.md ("StreamRec daily job") records the step times these give.
 */
export const DAILY_STEP_CONFIGS: DeepPartial<StepConfigs> = {
  baselines: { bpr: { epochs: 3 } },
  trainRetrieval: { members: 1, tower: { epochs: 3 } },
  rankerSet: { positives: 4000 },
  trainRanker: { dcn: { epochs: 2 } },
};

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
 * The gate's offline-metric tolerance in the daily job. Production's registered NDCG@20 comes from
 * its own day's held-out slice, the candidate's from the newer one: on latest-small's last weeks a
 * slice holds about 10 evaluable users, whose NDCG@20 has a standard error near 0.05 (the paired
 * bootstrap intervals of the daily evaluation table), so a same-slice tolerance (0.005) would
 * refuse on noise alone.
 */
export const DAILY_METRIC_TOLERANCE = 0.05;

/** Per-user NDCG@20 / Recall@20 standard deviation assumed for slice noise (0/1-like per-user figures with a mean near 0.1). */
export const PER_USER_METRIC_SD = 0.3;

/**
 * Two standard errors of the difference between the mean metric of two independent held-out
 * slices of nA and nB users: the loss that slice noise alone explains about 95% of the time.
 * The first replay (docs/experiments/daily-loop-replay.md) showed why a fixed 0.05 is not enough:
 * a production figure from a 2-user slice (Recall@20 0.29) refused every later candidate.
 */
export function sliceTolerance(nA: number, nB: number, sd = PER_USER_METRIC_SD): number {
  if (nA <= 0 || nB <= 0) return 1;
  return 2 * sd * Math.sqrt(1 / nA + 1 / nB);
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
