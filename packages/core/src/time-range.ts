/**
 * The event times frec stores: years 0001 to 9999 in UTC. A JavaScript Date reaches ±8.64e15 ms,
 * but ISO-8601 strings, Parquet readers and Feast's clients stop at four-digit years, and a time
 * outside that range once stored poisons every later read of its entity; so every entry point
 * (push, materialize, stream events, entity rows, online writes) checks this range.
 */
export const MIN_TIME_MS = -62_135_596_800_000;
/** 9999-12-31T23:59:59.999Z. */
export const MAX_TIME_MS = 253_402_300_799_999;

/** The supported range as error messages state it. */
export const TIME_RANGE_TEXT = '0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z';

/** True for a finite epoch-millisecond time inside the supported range. */
export function isSupportedTimeMs(ms: number): boolean {
  return Number.isFinite(ms) && ms >= MIN_TIME_MS && ms <= MAX_TIME_MS;
}
