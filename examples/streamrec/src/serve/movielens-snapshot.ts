import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GENRES } from '../data/genres.js';

/** The vendored MovieLens latest-small folder: the embedded default data set. */
export const DEFAULT_DATA_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../data/ml-latest-small');

/** One movie of the catalog. */
export interface Movie {
  id: number;
  title: string;
  genres: string[];
  year: number | null;
}

/** One user's history in time order. */
export interface UserHistory {
  items: number[];
  timesMs: number[];
  ratings: number[];
}

/** The data serving starts from: the catalog and every user's time-ordered history. */
export interface MovieLensSnapshot {
  movies: Movie[];
  histories: Map<number, UserHistory>;
  /** Time of the last interaction: "now" for trending and feature snapshots. */
  maxTimeMs: number;
}

/** Splits one CSV line, honouring double quotes (titles contain commas). */
function splitCsv(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/** Reads movies.csv and ratings.csv of a MovieLens folder (latest-small layout). */
export function readMovieLens(dataDir = DEFAULT_DATA_DIR): MovieLensSnapshot {
  const movies: Movie[] = [];
  for (const line of readFileSync(path.join(dataDir, 'movies.csv'), 'utf8').split('\n').slice(1)) {
    if (!line.trim()) continue;
    const [id, title = '', genres = ''] = splitCsv(line.trimEnd());
    const year = /\((\d{4})\)\s*$/.exec(title);
    movies.push({
      id: Number(id),
      title,
      genres: genres === '(no genres listed)' ? [] : genres.split('|'),
      year: year ? Number(year[1]) : null,
    });
  }
  movies.sort((a, b) => a.id - b.id);
  const rows: Array<[number, number, number, number]> = [];
  for (const line of readFileSync(path.join(dataDir, 'ratings.csv'), 'utf8').split('\n').slice(1)) {
    if (!line) continue;
    const [u, m, r, t] = line.split(',');
    rows.push([Number(u), Number(m), Number(r), Number(t) * 1000]);
  }
  rows.sort((a, b) => a[0] - b[0] || a[3] - b[3] || a[1] - b[1]);
  const histories = new Map<number, UserHistory>();
  let maxTimeMs = 0;
  for (const [u, m, r, t] of rows) {
    let h = histories.get(u);
    if (!h) histories.set(u, (h = { items: [], timesMs: [], ratings: [] }));
    h.items.push(m);
    h.timesMs.push(t);
    h.ratings.push(r);
    if (t > maxTimeMs) maxTimeMs = t;
  }
  return { movies, histories, maxTimeMs };
}

/** Multi-hot genre vector in GENRES order. */
export function genreVector(genres: readonly string[]): Float32Array {
  return Float32Array.from(GENRES, (g) => (genres.includes(g) ? 1 : 0));
}

const DAY_MS = 86_400_000;
const SESSION_GAP_MS = 30 * 60_000;

/**
 * User feature rows as the feature repo names them (user_stats + user_recent), computed from the
 * snapshot: the embedded-default feature source when no online store has been materialized.
 */
export function userFeatureRow(h: UserHistory | undefined, genresOf: ReadonlyMap<number, Float32Array>): Record<string, unknown> {
  if (!h || h.items.length === 0) return {};
  const n = h.items.length;
  const days = new Set(h.timesMs.map((t) => Math.floor(t / DAY_MS)));
  const aff = new Float32Array(GENRES.length);
  for (const m of h.items) {
    const g = genresOf.get(m);
    if (g) for (let j = 0; j < g.length; j++) aff[j]! += g[j]! / n;
  }
  let start = n - 1;
  while (start > 0 && h.timesMs[start]! - h.timesMs[start - 1]! <= SESSION_GAP_MS) start--;
  return {
    n_ratings: n,
    mean_rating: h.ratings.reduce((a, b) => a + b, 0) / n,
    days_active: days.size,
    genre_affinity: Array.from(aff),
    last_10_items: h.items.slice(-10).reverse(),
    session_length: n - start,
    session_duration: (h.timesMs[n - 1]! - h.timesMs[start]!) / 1000,
  };
}

/** Item feature rows as the feature repo names them (item_content + item_stats), as of `nowMs`. */
export function itemFeatureRows(snap: MovieLensSnapshot, nowMs = snap.maxTimeMs): Map<number, Record<string, unknown>> {
  const stats = new Map<number, { n: number; sum: number; d7: number; d30: number }>();
  for (const h of snap.histories.values()) {
    h.items.forEach((m, i) => {
      let s = stats.get(m);
      if (!s) stats.set(m, (s = { n: 0, sum: 0, d7: 0, d30: 0 }));
      s.n++;
      s.sum += h.ratings[i]!;
      const age = nowMs - h.timesMs[i]!;
      if (age < 7 * DAY_MS) s.d7++;
      if (age < 30 * DAY_MS) s.d30++;
    });
  }
  const rows = new Map<number, Record<string, unknown>>();
  for (const m of snap.movies) {
    const s = stats.get(m.id);
    rows.set(m.id, {
      genres: Array.from(genreVector(m.genres)),
      year: m.year,
      pop_7d: s?.d7 ?? 0,
      pop_30d: s?.d30 ?? 0,
      item_n_ratings: s?.n ?? 0,
      item_mean_rating: s ? s.sum / s.n : 0,
    });
  }
  return rows;
}
