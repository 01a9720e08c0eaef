import { GENRES, TAG_DIM } from '../data/genres.js';

/**
 * How feature-store rows become model inputs. Training (rows from getHistoricalFeatures) and
 * serving (rows from getOnlineFeatures) call the same functions, so the two cannot drift.
 * Missing values (a user with no history yet) become zeros plus a flag.
 */
type Row = Record<string, unknown>;

const G = GENRES.length;
const num = (v: unknown, dflt = 0): number => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'bigint' ? Number(v) : dflt);
const arr = (v: unknown): ArrayLike<unknown> | null =>
  Array.isArray(v) || ArrayBuffer.isView(v) ? (v as unknown as ArrayLike<unknown>) : null;

/** Names of the user vector's columns, in order. */
export const USER_VECTOR_NAMES: readonly string[] = [
  'has_history',
  'log_n_ratings',
  'mean_rating',
  'log_days_active',
  ...GENRES.map((g) => `affinity_${g}`),
  'log_session_length',
  'log_session_duration',
  ...GENRES.map((g) => `recent_${g}`),
];

/** Names of the item vector's columns, in order. */
export const ITEM_VECTOR_NAMES: readonly string[] = [
  ...GENRES.map((g) => `genre_${g}`),
  'year',
  'year_missing',
  ...Array.from({ length: TAG_DIM }, (_, i) => `tag_${i}`),
  'log_pop_7d',
  'log_pop_30d',
  'log_item_n_ratings',
  'item_mean_rating',
];

/** Names of the request-context columns (the context_features on-demand view). */
export const CONTEXT_VECTOR_NAMES = ['hour_sin', 'hour_cos', 'dow_sin', 'dow_cos', 'is_weekend'] as const;

/** Genre multi-hot of each catalog item by raw item id, for the "genres of the last 10 items" profile. */
export type ItemGenreLookup = ReadonlyMap<number, ArrayLike<number>>;

/** Writes a user's vector (user_stats + user_recent features) into `out` at `offset`. */
export function writeUserVector(row: Row, genresOf: ItemGenreLookup, out: Float32Array, offset: number): void {
  const has = row.n_ratings !== null && row.n_ratings !== undefined;
  let o = offset;
  out[o++] = has ? 1 : 0;
  out[o++] = Math.log1p(num(row.n_ratings));
  out[o++] = num(row.mean_rating);
  out[o++] = Math.log1p(num(row.days_active));
  const aff = arr(row.genre_affinity);
  for (let g = 0; g < G; g++) out[o++] = aff ? num(aff[g]) : 0;
  out[o++] = Math.log1p(num(row.session_length));
  out[o++] = Math.log1p(num(row.session_duration));
  const last = arr(row.last_10_items);
  const start = o;
  for (let g = 0; g < G; g++) out[o++] = 0;
  if (last && last.length > 0) {
    for (let i = 0; i < last.length; i++) {
      const gv = genresOf.get(num(last[i]));
      if (gv) for (let g = 0; g < G; g++) out[start + g] = out[start + g]! + num(gv[g]) / last.length;
    }
  }
}

/**
 * Dense item indexes of a user row's `last_10_items` (raw ids, newest first as stored), for the
 * recent-items part of the retrieval query; items `indexOf` does not know are left out.
 */
export function recentItemRows(row: Row, indexOf: ReadonlyMap<number, number>): Int32Array {
  const last = arr(row.last_10_items);
  if (!last) return new Int32Array(0);
  const out: number[] = [];
  for (let i = 0; i < last.length; i++) {
    const r = indexOf.get(num(last[i], -1));
    if (r !== undefined) out.push(r);
  }
  return Int32Array.from(out);
}

/** Writes an item's vector (item_content + item_tags + item_stats features) into `out` at `offset`. */
export function writeItemVector(row: Row, out: Float32Array, offset: number): void {
  let o = offset;
  const genres = arr(row.genres);
  for (let g = 0; g < G; g++) out[o++] = genres ? num(genres[g]) : 0;
  const year = row.year === null || row.year === undefined ? null : num(row.year);
  out[o++] = year ?? 1995;
  out[o++] = year === null ? 1 : 0;
  const tags = arr(row.tag_vector);
  for (let i = 0; i < TAG_DIM; i++) out[o++] = tags ? num(tags[i]) : 0;
  out[o++] = Math.log1p(num(row.pop_7d));
  out[o++] = Math.log1p(num(row.pop_30d));
  out[o++] = Math.log1p(num(row.item_n_ratings));
  out[o] = num(row.item_mean_rating);
}

/** Writes the request-context features into `out` at `offset`. */
export function writeContextVector(row: Row, out: Float32Array, offset: number): void {
  CONTEXT_VECTOR_NAMES.forEach((n, i) => (out[offset + i] = num(row[n])));
}

/** The request-context fields (hour of day, day of week, UTC) the context_features view reads. */
export function requestContextAt(ms: number): { hour_of_day: number; day_of_week: number } {
  const d = new Date(ms);
  return { hour_of_day: d.getUTCHours(), day_of_week: d.getUTCDay() };
}
