import { FrecError } from '@frec/core';

/** The codes the daily job raises, beside core's and the loader's. */
export const DailyJobErrorCode = {
  /** The source data has a malformed row: the job stops before writing anything. */
  CORRUPT_SOURCE_DATA: 'CORRUPT_SOURCE_DATA',
  /** The training child exited without a result (crashed, killed, or failed). */
  TRAINING_FAILED: 'TRAINING_FAILED',
  /** Another run of the same day holds its lock. */
  DAY_LOCKED: 'DAY_LOCKED',
  /** The per-day state file cannot be read. */
  STATE_CORRUPT: 'STATE_CORRUPT',
} as const;
/** One of the daily job's error codes. */
export type DailyJobErrorCode = (typeof DailyJobErrorCode)[keyof typeof DailyJobErrorCode];

/** A daily job error: what went wrong, where, and how to fix it. */
export function dailyJobError(
  code: DailyJobErrorCode,
  message: string,
  hint: string,
  where: Record<string, string | number | undefined> = {},
  cause?: unknown,
): FrecError {
  return new FrecError(code, message, { hint, where, ...(cause === undefined ? {} : { cause }) });
}
