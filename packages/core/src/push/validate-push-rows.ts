import type { FeatureViewSpec, PushSourceSpec } from '../definitions/specs.js';
import { ErrorCode, RequestError } from '../errors.js';
import { didYouMean } from '../names.js';
import { NON_FINITE_HINT, allowsNonFinite, coerceScalar, coerceValue, hasNonFinite, type FeatureValue } from '../value-types.js';
import { parseEventTime } from '../streaming/parse-event.js';
import { TIME_RANGE_TEXT, isSupportedTimeMs } from '../time-range.js';

/** A pushed row after validation: typed values by column, and its event time. */
export interface ValidPushRow {
  values: Record<string, FeatureValue>;
  key: Map<string, Array<string | number>>;
  eventTimeMs: number;
  createdTimeMs: number | undefined;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${String(v)}`;
}

function bad(source: string, index: number, field: string, what: string, hint?: string): RequestError {
  return new RequestError(
    ErrorCode.INVALID_PUSH_ROW,
    `Push to '${source}' rejected: row ${index}, field '${field}': ${what}. Nothing of this batch was written.`,
    {
      where: { source, row: index, field },
      hint,
    },
  );
}

/**
 * Checks every row against every view that reads the push source, before anything is written:
 * join keys and the timestamp present and typed, each feature present (null allowed) and of its
 * type, no unknown column. Throws INVALID_PUSH_ROW naming the first bad row and field.
 */
export function validatePushRows(
  source: PushSourceSpec,
  views: readonly FeatureViewSpec[],
  rows: ReadonlyArray<Record<string, unknown>>,
): ValidPushRow[] {
  if (!Array.isArray(rows)) {
    throw new RequestError(ErrorCode.INVALID_PUSH_ROW, `Push to '${source.name}' needs an array of row objects.`, {
      where: { source: source.name },
    });
  }
  const tsField = source.batchSource.timestampField;
  const createdField = source.batchSource.createdTimestampColumn;
  const types = new Map<string, FeatureViewSpec['features'][number]['dtype']>();
  for (const v of views) {
    for (const c of v.entityColumns) types.set(c.name, c.dtype);
    for (const f of v.features) types.set(f.name, f.dtype);
  }
  const known = new Set([...types.keys(), tsField, ...(createdField ? [createdField] : [])]);
  const out: ValidPushRow[] = new Array(rows.length);
  rows.forEach((row, i) => {
    if (row === null || typeof row !== 'object' || Array.isArray(row))
      throw bad(source.name, i, '(row)', `expected an object, got ${describe(row)}`);
    for (const k of Object.keys(row)) {
      if (!known.has(k))
        throw bad(
          source.name,
          i,
          k,
          'is not a column of any view reading this source',
          `${didYouMean(k, known).trim()} Columns: ${[...known].join(', ')}.`.trim(),
        );
    }
    const eventTimeMs = parseEventTime(row[tsField]);
    if (!Number.isFinite(eventTimeMs))
      throw bad(
        source.name,
        i,
        tsField,
        `event time is missing or not a time (got ${describe(row[tsField])})`,
        'Pass a Date, epoch milliseconds or an ISO string.',
      );
    if (!isSupportedTimeMs(eventTimeMs))
      throw bad(
        source.name,
        i,
        tsField,
        `event time ${describe(row[tsField])} is outside the supported range ${TIME_RANGE_TEXT}`,
        'Pass epoch milliseconds (not microseconds or nanoseconds), a Date or an ISO string within that range.',
      );
    let createdTimeMs: number | undefined;
    if (createdField && row[createdField] !== undefined && row[createdField] !== null) {
      createdTimeMs = parseEventTime(row[createdField]);
      if (!isSupportedTimeMs(createdTimeMs))
        throw bad(
          source.name,
          i,
          createdField,
          `created time is not a time within ${TIME_RANGE_TEXT} (got ${describe(row[createdField])})`,
          'Pass a Date, epoch milliseconds or an ISO string within that range.',
        );
    }
    const values: Record<string, FeatureValue> = {};
    const key = new Map<string, Array<string | number>>();
    for (const v of views) {
      const k: Array<string | number> = [];
      for (const c of v.entityColumns) {
        const val = coerceScalar(c.dtype === 'int32' || c.dtype === 'int64' ? c.dtype : 'string', row[c.name]);
        if (val === undefined || val === null)
          throw bad(source.name, i, c.name, `join key of view '${v.name}' is missing or not ${c.dtype} (got ${describe(row[c.name])})`);
        k.push(val as string | number);
        values[c.name] = val;
      }
      key.set(v.name, k);
      for (const f of v.features) {
        if (!(f.name in row))
          throw bad(source.name, i, f.name, `feature of view '${v.name}' is missing`, 'Send every feature; use null for a missing value.');
        const val = coerceValue(f.dtype, row[f.name]);
        if (val === undefined) throw bad(source.name, i, f.name, `expected ${f.dtype}, got ${describe(row[f.name])}`);
        if (hasNonFinite(val) && !allowsNonFinite(f))
          throw bad(
            source.name,
            i,
            f.name,
            `${describe(row[f.name])} is not finite, and feature '${f.name}' of view '${v.name}' does not allow NaN or ±Infinity`,
            NON_FINITE_HINT,
          );
        values[f.name] = val;
      }
    }
    out[i] = { values, key, eventTimeMs, createdTimeMs };
  });
  return out;
}
