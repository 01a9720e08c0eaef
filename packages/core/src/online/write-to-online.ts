import { ErrorCode, RequestError } from '../errors.js';
import type { FeatureStore } from '../feature-store.js';
import type { FeatureViewSpec } from '../definitions/specs.js';
import type { OnlineWriteResult, OnlineWriteRow } from '../stores/online-store.js';
import { TIME_RANGE_TEXT } from '../time-range.js';
import { NON_FINITE_HINT, allowsNonFinite, coerceScalar, coerceValue, hasNonFinite, type FeatureValue } from '../value-types.js';

/** The event and created time columns of a view's rows, as its source names them. */
export function timestampColumnsOf(view: FeatureViewSpec): { event: string; created: string | undefined } {
  const src = view.source;
  const file = src.type === 'file' ? src : src.batchSource;
  return { event: src.type === 'stream' ? src.timestampField : file.timestampField, created: file.createdTimestampColumn };
}

function rowError(code: ErrorCode, view: FeatureViewSpec, index: number, field: string, what: string, hint: string): RequestError {
  return new RequestError(code, `Row ${index} for feature view '${view.name}': ${what}.`, {
    where: { featureView: view.name, row: index, field },
    hint,
  });
}

/**
 * Checks rows against the view's schema (join keys, features, event time) and converts them
 * to online rows; throws on the first bad row, naming its index and field, before anything is written.
 */
export function toOnlineRows(view: FeatureViewSpec, rows: ReadonlyArray<Record<string, unknown>>): OnlineWriteRow[] {
  const ts = timestampColumnsOf(view);
  return rows.map((row, i) => {
    if (row === null || typeof row !== 'object') {
      throw rowError(ErrorCode.INVALID_REQUEST, view, i, '(row)', 'is not an object', 'Pass one object per row.');
    }
    const key = view.entityColumns.map((col) => {
      const raw = row[col.name];
      if (raw === undefined || raw === null) {
        throw rowError(
          ErrorCode.MISSING_JOIN_KEY,
          view,
          i,
          col.name,
          `join key '${col.name}' is missing`,
          `Add '${col.name}' to every row.`,
        );
      }
      const v = coerceScalar(col.dtype as Parameters<typeof coerceScalar>[0], raw);
      if (typeof v !== 'number' && typeof v !== 'string') {
        throw rowError(
          ErrorCode.WRONG_TYPE,
          view,
          i,
          col.name,
          `join key '${col.name}' is ${JSON.stringify(raw)}, declared ${col.dtype}`,
          `Pass a ${col.dtype} value.`,
        );
      }
      return v;
    });
    const values: Record<string, FeatureValue> = {};
    for (const f of view.features) {
      const raw = row[f.name];
      if (raw === undefined) {
        throw rowError(
          ErrorCode.INVALID_REQUEST,
          view,
          i,
          f.name,
          `feature '${f.name}' is missing`,
          'Give every feature of the view a value (null for none).',
        );
      }
      const v = coerceValue(f.dtype, raw);
      if (v === undefined) {
        throw rowError(
          ErrorCode.WRONG_TYPE,
          view,
          i,
          f.name,
          `feature '${f.name}' is ${JSON.stringify(raw)?.slice(0, 80)}, declared ${f.dtype}`,
          `Pass a ${f.dtype} value or null.`,
        );
      }
      if (hasNonFinite(v) && !allowsNonFinite(f)) {
        throw rowError(
          ErrorCode.WRONG_TYPE,
          view,
          i,
          f.name,
          `feature '${f.name}' is ${String(raw)}, which is not finite, and the field does not allow NaN or ±Infinity`,
          NON_FINITE_HINT,
        );
      }
      values[f.name] = v;
    }
    const event = coerceScalar('unix_timestamp', row[ts.event]);
    if (!(event instanceof Date)) {
      throw rowError(
        ErrorCode.INVALID_REQUEST,
        view,
        i,
        ts.event,
        `event time '${ts.event}' is missing, not a time or outside ${TIME_RANGE_TEXT} (${JSON.stringify(row[ts.event])})`,
        'Pass a Date, epoch milliseconds or an ISO-8601 string.',
      );
    }
    const created = ts.created !== undefined && row[ts.created] !== undefined ? coerceScalar('unix_timestamp', row[ts.created]) : undefined;
    if (created !== undefined && created !== null && !(created instanceof Date)) {
      throw rowError(
        ErrorCode.INVALID_REQUEST,
        view,
        i,
        ts.created!,
        `created time '${ts.created}' is not a time within ${TIME_RANGE_TEXT}`,
        'Pass a Date, epoch milliseconds or an ISO-8601 string.',
      );
    }
    return { key, values, eventTimeMs: event.getTime(), ...(created instanceof Date ? { createdTimeMs: created.getTime() } : {}) };
  });
}

/** Validates rows against the view's schema and writes them to the online store (all or nothing on bad input). */
export async function writeRowsToOnline(
  store: FeatureStore,
  view: FeatureViewSpec,
  rows: ReadonlyArray<Record<string, unknown>>,
): Promise<OnlineWriteResult> {
  if (!Array.isArray(rows)) {
    throw new RequestError(ErrorCode.INVALID_REQUEST, `Rows for feature view '${view.name}' must be an array of objects.`, {
      where: { featureView: view.name },
    });
  }
  const online = toOnlineRows(view, rows);
  return (await store.onlineStore()).write(store.project, view, online);
}
