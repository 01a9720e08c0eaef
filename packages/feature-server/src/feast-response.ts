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

// The last time formatted: a server answering for the same rows formats the same event time on
// every request, and toISOString is a few microseconds of a ~100 µs request.
let lastStampMs = Number.NaN;
let lastStamp = EPOCH;

/** A timestamp as Feast prints it: RFC 3339 in UTC, without fractional zeros. */
export function feastTimestamp(t: unknown): string {
  let ms: number;
  if (t instanceof Date) ms = t.getTime();
  else if (typeof t === 'number') ms = t;
  else if (typeof t === 'string') return t;
  else return EPOCH;
  if (ms === lastStampMs) return lastStamp;
  // A time stored before range checks existed must not fail every read of its entity.
  if (!isSupportedTimeMs(ms) || ms <= 0) return EPOCH;
  const iso = new Date(ms).toISOString();
  lastStampMs = ms;
  lastStamp = iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
  return lastStamp;
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
  // An int64 past 2^53 travels as its decimal text; Feast's server prints it as an exact JSON integer.
  if (typeof v === 'string' && type === 'int64' && /^-?\d+$/.test(v)) return v;
  if (typeof v === 'number' && (type === 'float32' || type === 'float64' || type === 'float32[]' || type === 'float64[]'))
    return floatJson(v);
  if (Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof Uint8Array))) {
    const items = Array.from(v as ArrayLike<unknown>);
    const et = type?.endsWith('[]') ? type : undefined;
    return `[${items.map((x) => valueJson(x, et)).join(',')}]`;
  }
  return JSON.stringify(jsonValue(v));
}

/** True when a column's values need valueJson: floats keep `.0`, bigints and long int64 strings stay exact. */
function needsValueJson(raw: readonly unknown[], type: ValueType | undefined): boolean {
  if (type === 'float32' || type === 'float64' || type?.endsWith('[]')) return true;
  for (let k = 0; k < raw.length; k++) {
    const v = raw[k];
    if (typeof v === 'bigint' || (type === 'int64' && typeof v === 'string')) return true;
  }
  return false;
}

function floatsJson(raw: readonly unknown[]): string {
  if (raw.length === 1) {
    const v = raw[0];
    return typeof v === 'number' ? `[${floatJson(v)}]` : `[${valueJson(v, 'float64')}]`;
  }
  let out = '[';
  for (let k = 0; k < raw.length; k++) {
    const v = raw[k];
    if (k > 0) out += ',';
    out += typeof v === 'number' ? floatJson(v) : valueJson(v, 'float64');
  }
  return `${out}]`;
}

// The SDK hands out one featureNames array per request plan, so the response head is written once per plan.
const heads = new WeakMap<readonly string[], { n: number; json: string }>();

function headOf(names: readonly string[]): string {
  const hit = heads.get(names);
  if (hit !== undefined && hit.n === names.length) return hit.json;
  const json = `{"metadata":{"feature_names":${JSON.stringify(names)}},"results":[`;
  heads.set(names, { n: names.length, json });
  return json;
}

/**
 * The response body as Feast's feature server writes it (MessageToDict of the proto with Feast's
 * value patch, then Python's json): whole-number floats as `1.0`, int64 exact past 2^53, timestamp
 * features as epoch seconds, event times RFC 3339. Written straight from the SDK's columns, with
 * no intermediate Feast object: columns of one view share their status and event-time arrays, so
 * each such array is written once per response (docs/profiles/feature-server.md).
 */
export function feastResponseJson(res: OnlineFeaturesResponse, types: ReadonlyArray<ValueType | undefined>): string {
  const names = res.featureNames;
  let out = headOf(names);
  let lastStatuses: unknown;
  let lastStatusesJson = '';
  let lastTimes: unknown = null;
  let lastTimesJson = '';
  for (let c = 0; c < names.length; c++) {
    const raw = (res.values[c] ?? []) as unknown[];
    const n = raw.length;
    const type = types[c];
    let values: string;
    if (type === 'float32' || type === 'float64') values = floatsJson(raw);
    else if (needsValueJson(raw, type)) values = `[${raw.map((v) => valueJson(v, type)).join(',')}]`;
    else values = JSON.stringify(plainColumn(raw) ? raw : raw.map(jsonValue));
    const sts = res.statuses[c];
    if (sts !== lastStatuses || sts === undefined) {
      lastStatuses = sts;
      lastStatusesJson = JSON.stringify(sts ?? new Array<string>(n).fill('PRESENT'));
    }
    const ts = res.eventTimestamps[c];
    if (ts !== lastTimes || ts === undefined) {
      lastTimes = ts;
      lastTimesJson = JSON.stringify(formatTimes(ts, n));
    }
    out += `${c > 0 ? ',' : ''}{"values":${values},"statuses":${lastStatusesJson},"event_timestamps":${lastTimesJson}}`;
  }
  return `${out}]}`;
}
