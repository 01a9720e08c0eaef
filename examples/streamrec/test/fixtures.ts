import type { Interactions } from '../src/data/interactions.js';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mulberry32 } from '../src/nn/rng.js';
import type { QueryGridPoint } from '../src/pipeline/two-stage/index.js';

/** A seeded synthetic MovieLens release: `users` users rating items over ~60 days. */
export interface Fixture {
  dir: string;
  ratings: Array<{ user: number; item: number; rating: number; ts: number }>;
}

const GENRE_POOL = ['Action', 'Comedy', 'Drama', 'Sci-Fi', 'Romance', 'Thriller'];

function synth(seed: number, users: number, items: number): Fixture['ratings'] {
  const rand = mulberry32(seed);
  const out: Fixture['ratings'] = [];
  const t0 = 1_500_000_000;
  for (let u = 1; u <= users; u++) {
    const n = Math.min(items, 8 + Math.floor(rand() * 12));
    const picked = new Set<number>();
    let t = t0 + Math.floor(rand() * 30 * 86400);
    while (picked.size < n) {
      const it = 1 + Math.floor(rand() * items);
      if (picked.has(it)) continue;
      picked.add(it);
      t += Math.floor(rand() * 3 * 3600);
      out.push({ user: u, item: it, rating: 1 + Math.floor(rand() * 9) / 2, ts: t });
    }
  }
  return out;
}

/** Writes ratings.csv, movies.csv and tags.csv (MovieLens latest layout). */
export function csvFixture(seed = 7, users = 12, items = 30): Fixture {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'streamrec-csv-'));
  const ratings = synth(seed, users, items);
  writeFileSync(
    path.join(dir, 'ratings.csv'),
    `userId,movieId,rating,timestamp\n${ratings.map((r) => `${r.user},${r.item},${r.rating.toFixed(1)},${r.ts}`).join('\n')}\n`,
  );
  const movies = Array.from({ length: items }, (_, i) => {
    const id = i + 1;
    const genres =
      id % 7 === 0
        ? '(no genres listed)'
        : [GENRE_POOL[id % 6], GENRE_POOL[(id * 5) % 6]].filter((g, j, a) => a.indexOf(g) === j).join('|');
    const title = id % 5 === 0 ? `"Movie, The ${id} (${1980 + id})"` : `Movie ${id} (${1980 + id})`;
    return `${id},${title},${genres}`;
  });
  writeFileSync(path.join(dir, 'movies.csv'), `movieId,title,genres\n${movies.join('\n')}\n`);
  const tags = ratings.slice(0, 6).map((r, i) => `${r.user},${r.item},${i % 2 ? 'funny' : 'dark'},${r.ts + 60}`);
  writeFileSync(path.join(dir, 'tags.csv'), `userId,movieId,tag,timestamp\n${tags.join('\n')}\n`);
  return { dir, ratings };
}

/** Writes u.data (tab-separated) and u.item (pipe-separated, ML-100K layout). */
export function uDataFixture(seed = 11, users = 10, items = 25): Fixture {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'streamrec-udata-'));
  const ratings = synth(seed, users, items).map((r) => ({ ...r, rating: Math.max(1, Math.round(r.rating)) }));
  writeFileSync(path.join(dir, 'u.data'), `${ratings.map((r) => `${r.user}\t${r.item}\t${r.rating}\t${r.ts}`).join('\n')}\n`);
  const lines = Array.from({ length: items }, (_, i) => {
    const id = i + 1;
    const flags = Array.from({ length: 19 }, (_, g) => (g === 1 + (id % 18) ? '1' : '0'));
    return `${id}|Film ${id} (${1990 + (id % 9)})|01-Jan-${1990 + (id % 9)}||http://example.org/${id}|${flags.join('|')}`;
  });
  writeFileSync(path.join(dir, 'u.item'), `${lines.join('\n')}\n`);
  return { dir, ratings };
}

/** A fresh feature repo folder holding the StreamRec definitions, for tests that must not touch feature_repo/. */
export function tempFeatureRepo(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'streamrec-repo-'));
  const src = new URL('../feature_repo/', import.meta.url);
  for (const f of ['features.ts', 'feature_store.yaml']) writeFileSync(path.join(dir, f), readText(new URL(f, src)));
  mkdirSync(path.join(dir, 'data'));
  return dir;
}

function readText(u: URL): string {
  return readFileSync(u, 'utf8');
}

/** Interactions from [user index, item index, time ms] events (rating 4 each), sorted by time. */
export function interactionsOf(ev: Array<[number, number, number]>, users: number, items: number): Interactions {
  ev.sort((a, b) => a[2] - b[2]);
  return {
    n: ev.length,
    user: Int32Array.from(ev, (e) => e[0]),
    item: Int32Array.from(ev, (e) => e[1]),
    rating: new Float32Array(ev.length).fill(4),
    timeMs: Float64Array.from(ev, (e) => e[2]),
    userIds: Array.from({ length: users }, (_, i) => i + 1),
    itemIds: Array.from({ length: items }, (_, i) => i + 1),
    itemTitles: Array.from({ length: items }, (_, i) => `m${i}`),
  };
}

/** The NDCG@20 of the grid point with exactly these settings (a term the pass left out is absent), or undefined. */
export function ndcgAt(grid: readonly QueryGridPoint[], at: Omit<QueryGridPoint, 'ndcg'>): number | undefined {
  return grid.find(
    (g) =>
      g.weight === at.weight &&
      g.decay === at.decay &&
      g.popularityWeight === at.popularityWeight &&
      g.coOccurrenceWeight === at.coOccurrenceWeight,
  )?.ndcg;
}
