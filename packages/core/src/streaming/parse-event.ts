import type { FeatureViewSpec } from '../definitions/specs.js';
import { TIME_RANGE_TEXT, isSupportedTimeMs } from '../time-range.js';
import { allowsNonFinite, coerceScalar, elementType, hasNonFinite, int64KeyOf } from '../value-types.js';
import type { AggEvent } from './aggregate-state.js';

/** A stream event parsed for one view: its entity key and its time and values. */
export interface ParsedEvent {
  key: Array<string | number>;
  event: AggEvent;
}

/** Parses an event time: epoch milliseconds (number or digits) or an ISO string; NaN when invalid. */
export function parseEventTime(v: unknown): number {
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string') {
    if (/^\d+$/.test(v)) return Number(v);
    return Date.parse(v);
  }
  return Number.NaN;
}

/** The name of the event-time field of a stream view's source. */
export function timestampFieldOf(view: FeatureViewSpec): string {
  return view.source.type === 'push' ? view.source.batchSource.timestampField : view.source.timestampField;
}

/**
 * Parses one raw event (string fields from a broker, or typed values from Parquet) for a view.
 * Returns an error message naming the bad field instead of throwing, so one bad event cannot stop a stream.
 */
export function parseEvent(view: FeatureViewSpec, fields: Record<string, unknown>): ParsedEvent | { error: string; field: string } {
  const key = parseKey(view, fields);
  if (!Array.isArray(key)) return key;
  const tsField = timestampFieldOf(view);
  const timeMs = parseEventTime(fields[tsField]);
  if (!Number.isFinite(timeMs)) return { error: `event time '${tsField}' is missing or not a time`, field: tsField };
  if (!isSupportedTimeMs(timeMs)) return { error: `event time '${tsField}' (${timeMs}) is outside ${TIME_RANGE_TEXT}`, field: tsField };
  const bad = nonFiniteField(view, fields);
  if (bad)
    return { error: `'${bad}' is NaN or ±Infinity, which its feature does not allow (declare it with allowNonFinite: true)`, field: bad };
  return { key, event: { timeMs, values: fields } };
}

/** Per view, the float input columns whose feature does not allow NaN or ±Infinity: built once, not per event. */
const finiteInputs = new WeakMap<FeatureViewSpec, ReadonlyArray<string>>();

function finiteInputsOf(view: FeatureViewSpec): ReadonlyArray<string> {
  let columns = finiteInputs.get(view);
  if (columns) return columns;
  const byName = new Map(view.features.map((f) => [f.name, f]));
  // An aggregated view reads each aggregation's input column; a plain one its features by name.
  const inputs: Array<[string, FeatureViewSpec['features'][number]]> =
    view.aggregations.length > 0
      ? view.aggregations.flatMap((a) => {
          const f = byName.get(a.name);
          return 'column' in a && a.column !== undefined && f && a.kind !== 'count' ? [[a.column, f] as [string, typeof f]] : [];
        })
      : view.features.map((f) => [f.name, f] as [string, typeof f]);
  columns = inputs.filter(([, f]) => elementType(f.dtype).startsWith('float') && !allowsNonFinite(f)).map(([c]) => c);
  finiteInputs.set(view, columns);
  return columns;
}

/** The first input field holding NaN or ±Infinity for a float feature that does not allow them. */
function nonFiniteField(view: FeatureViewSpec, fields: Record<string, unknown>): string | undefined {
  for (const column of finiteInputsOf(view)) {
    const raw = fields[column];
    const v = typeof raw === 'string' ? coerceScalar('float64', raw) : raw;
    if (hasNonFinite(v) || (Array.isArray(raw) && hasNonFinite(raw.map((x) => coerceScalar('float64', x))))) return column;
  }
  return undefined;
}

/** The typed entity key of one raw event, or an error naming the bad join key. */
export function parseKey(
  view: FeatureViewSpec,
  fields: Record<string, unknown>,
): Array<string | number> | { error: string; field: string } {
  const key: Array<string | number> = [];
  for (const c of view.entityColumns) {
    const v =
      c.dtype === 'int64'
        ? int64KeyOf(fields[c.name])
        : coerceScalar(c.dtype === 'int32' || c.dtype === 'string' ? c.dtype : 'string', fields[c.name]);
    if (v === undefined || v === null) return { error: `join key '${c.name}' is missing or not ${c.dtype}`, field: c.name };
    key.push(v as string | number);
  }
  return key;
}

/** A stable string form of an entity key, for maps and state-store keys. */
export function keyString(key: ReadonlyArray<string | number>): string {
  return key.length === 1 ? String(key[0]) : JSON.stringify(key);
}
