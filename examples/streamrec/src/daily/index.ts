/** StreamRec's daily production loop job (`npm run -w examples/streamrec daily`). */
export { runDailyJob, EXIT, type DailyJobOptions, type DailyJobReport } from './daily-job.js';
export {
  DAILY_STEPS,
  DayStateStore,
  dayRange,
  type DailyStep,
  type DayState,
  type DayOutcome,
  type FinishedStep,
  type HeldOutFigures,
} from './day-state.js';
export { writeDaySlice, type DaySlice } from './day-slice.js';
export { DAILY_STEP_CONFIGS, DAILY_REPLAY_STEPS, DAILY_RETUNE_EVERY_DAYS, MIN_HOLDOUT_EVENTS, holdoutFraction } from './daily-config.js';
export {
  decideTuning,
  featureSchema,
  fixedTuningSteps,
  readTuningRecord,
  type TunedValues,
  type TuningDecision,
  type TuningRecord,
} from './tuning-record.js';
export { DailyJobErrorCode } from './daily-errors.js';
export { dayArtifact, type TrainDayArgs, type TrainDayResult } from './train-day.js';
export {
  heldOutCases,
  pairedHeldOut,
  pairedTolerance,
  scoreHeldOut,
  MIN_PAIRED_REQUESTS,
  type HeldOutCase,
  type ModelPair,
  type PairedHeldOut,
} from './held-out-eval.js';
