import type { OnlineFeaturesResponse, ValueType } from '@frec/core';
import { isSupportedTimeMs } from '@frec/core/spi';

/** One column of Feast's GetOnlineFeaturesResponse: a value, status and event time per entity row. */
export interface FeastFeatureVector {
  values: unknown[];
  statuses: string[];
  event_timestamps: string[];
}

/** Feast's JSON response of /get-online-features: columns in `metadata.feature_names` order. */
export interface FeastOnlineResponse {
  metadata: { feature_names: string[] };
  results: FeastFeatureVector[];
}

/** Feast writes the epoch for join keys and absent values. */
const EPOCH = '1970-01-01T00:00:00Z';

/** A timestamp as Feast prints it: RFC 3339 in UTC, without fractional zeros. */
export function feastTimestamp(t: unknown): string {
  let ms: number;
  if (t instanceof Date) ms = t.getTime();
  else if (typeof t === 'number') ms = t;
  else if (typeof t === 'string') return t;
  else return EPOCH;
  // A time stored before range checks existed must not fail every read of its entity.
  if (!isSupportedTimeMs(ms) || ms <= 0) return EPOCH;
  const iso = new Date(ms).toISOString();
  return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
}

/**
 * JSON has no NaN, Infinity, bigint, bytes or dates: NaN and ±Infinity become the strings protobuf's
 * JSON uses, bytes base64, and a timestamp feature epoch seconds (Feast's unix_timestamp_val).
 * A bigint past 2^53 becomes its decimal string here; `feastResponseJson` writes it as an exact JSON integer.
 */
export function jsonValue(v: unknown): unknown {
  if (v === undefined) return null;
  if (typeof v === 'number') return Number.isFinite(v) ? v : Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
  if (v instanceof Date) return Math.floor(v.getTime() / 1000);
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>, jsonValue);
  if (Array.isArray(v)) return v.map(jsonValue);
  return v;
}

/** Formats a column of event times, reusing the previous string while times repeat (they do: one write, many rows). */
function formatTimes(ts: ArrayLike<number> | undefined, n: number): string[] {
  const out = new Array<string>(n);
  let lastMs = Number.NaN;
  let last = EPOCH;
  for (let k = 0; k < n; k++) {
    const ms = ts ? ts[k]! : 0;
    if (ms !== lastMs) {
      lastMs = ms;
      last = feastTimestamp(ms);
    }
    out[k] = last;
  }
  return out;
}

/** True when every value is already JSON-safe as is (finite numbers, strings, booleans, null). */
function plainColumn(vals: readonly unknown[]): boolean {
  for (let k = 0; k < vals.length; k++) {
    const v = vals[k];
    const t = typeof v;
    if (v === null || t === 'string' || t === 'boolean') continue;
    if (t === 'number' && Number.isFinite(v)) continue;
    return false;
  }
  return true;
}

/**
 * Converts the SDK's getOnlineFeatures response into Feast's JSON shape. The SDK keeps columns
 * (join keys first, then features in request order) with a status and event time per value,
 * which is Feast's layout, so this is a rename plus JSON-safe values and Feast's timestamp format.
 * Columns of one view share one event-time array, so each is formatted once per response.
 */
export function toFeastResponse(res: OnlineFeaturesResponse): FeastOnlineResponse {
  const names = res.featureNames;
  const results: FeastFeatureVector[] = new Array(names.length);
  const formatted = new Map<ArrayLike<number> | undefined, string[]>();
  for (let c = 0; c < names.length; c++) {
    const vals = (res.values[c] ?? []) as unknown[];
    const n = vals.length;
    const ts = res.eventTimestamps[c];
    let stamps = formatted.get(ts);
    if (!stamps) formatted.set(ts, (stamps = formatTimes(ts, n)));
    const values = plainColumn(vals) ? vals : vals.map(jsonValue);
    const sts = res.statuses[c];
    results[c] = { values, statuses: sts ?? new Array<string>(n).fill('PRESENT'), event_timestamps: stamps };
  }
  return { metadata: { feature_names: names }, results };
}

/** A float as Python's JSON writes it: whole numbers keep `.0`, so Feast's clients infer a float, not an int64. */
function floatJson(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? '"NaN"' : v > 0 ? '"Infinity"' : '"-Infinity"';
  if (Object.is(v, -0)) return '-0.0';
  const s = String(v);
  return Number.isInteger(v) && !s.includes('e') ? `${s}.0` : s;
}

/** One value in Feast's JSON, given its declared type (undefined: as JSON.stringify would, after jsonValue). */
function valueJson(v: unknown, type: ValueType | undefined): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number' && (type === 'float32' || type === 'float64' || type === 'float32[]' || type === 'float64[]'))
    return floatJson(v);
  if (Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof Uint8Array))) {
    const items = Array.from(v as ArrayLike<unknown>);
    const et = type?.endsWith('[]') ? type : undefined;
    return `[${items.map((x) => valueJson(x, et)).join(',')}]`;
  }
  return JSON.stringify(jsonValue(v));
}

/**
 * The response body as Feast's feature server writes it (MessageToDict of the proto with Feast's
 * value patch, then Python's json): whole-number floats as `1.0`, int64 exact past 2^53, timestamp
 * features as epoch seconds, event times RFC 3339. Columns whose values are plain are written by
 * JSON.stringify in one call.
 */
export function feastResponseJson(res: OnlineFeaturesResponse, types: ReadonlyArray<ValueType | undefined>): string {
  const body = toFeastResponse(res);
  const parts: string[] = new Array(body.results.length);
  for (let c = 0; c < body.results.length; c++) {
    const r = body.results[c]!;
    const type = types[c];
    const raw = (res.values[c] ?? []) as unknown[];
    const special = type === 'float32' || type === 'float64' || type?.endsWith('[]') || raw.some((v) => typeof v === 'bigint');
    const values = special ? `[${raw.map((v) => valueJson(v, type)).join(',')}]` : JSON.stringify(r.values);
    parts[c] = `{"values":${values},"statuses":${JSON.stringify(r.statuses)},"event_timestamps":${JSON.stringify(r.event_timestamps)}}`;
  }
  return `{"metadata":{"feature_names":${JSON.stringify(body.metadata.feature_names)}},"results":[${parts.join(',')}]}`;
}
