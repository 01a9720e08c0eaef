import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Rng } from '../nn/rng.js';
import type { MovieLensSnapshot } from '../serve/movielens-snapshot.js';

const DAY = 86_400_000;

/**
 * A session case: a user active on the next day; the first half of that day's events are the
 * session so far (what the stream worker has folded into their recent items by the request), the
 * truth is the new items of the second half.
 */
export interface SessionCase {
  user: number;
  /** Raw rating lines of the session's events, appended to the day's data for the streamed request. */
  sessionLines: string[];
  sessionItems: Set<number>;
  truth: Set<number>;
}

/** The source's rating lines by user, in file order (their raw text, for data folders built from them). */
export function ratingLines(sourceDir: string): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const line of readFileSync(path.join(sourceDir, 'ratings.csv'), 'utf8').split('\n').slice(1)) {
    const l = line.trimEnd();
    if (!l) continue;
    const u = Number(l.slice(0, l.indexOf(',')));
    let list = out.get(u);
    if (!list) out.set(u, (list = []));
    list.push(l);
  }
  return out;
}

const lineTimeMs = (l: string) => Number(l.slice(l.lastIndexOf(',') + 1)) * 1000;
const lineItem = (l: string) => Number(l.split(',')[1]);

/** Session cases of the next day: users with a history up to the day and at least two new items on the next day. */
export function sessionCases(snap: MovieLensSnapshot, lines: Map<number, string[]>, day: string, next: string): SessionCase[] {
  const endMs = Date.parse(`${day}T00:00:00Z`) + DAY;
  const nextStart = Date.parse(`${next}T00:00:00Z`);
  const out: SessionCase[] = [];
  for (const [user, h] of snap.histories) {
    const before = new Set(h.items.filter((_, i) => h.timesMs[i]! < endMs));
    if (before.size === 0) continue;
    const onNext = (lines.get(user) ?? [])
      .filter((l) => lineTimeMs(l) >= nextStart && lineTimeMs(l) < nextStart + DAY && !before.has(lineItem(l)))
      .sort((a, b) => lineTimeMs(a) - lineTimeMs(b));
    if (onNext.length < 2) continue;
    const half = Math.ceil(onNext.length / 2);
    const sessionItems = new Set(onNext.slice(0, half).map(lineItem));
    const truth = new Set(
      onNext
        .slice(half)
        .map(lineItem)
        .filter((m) => !sessionItems.has(m)),
    );
    if (truth.size > 0) out.push({ user, sessionLines: onNext.slice(0, half), sessionItems, truth });
  }
  return out;
}

/** A MovieLens folder: `baseDir`'s files with `extra` rating lines appended. */
export function withExtraRatings(baseDir: string, outDir: string, extra: readonly string[]): string {
  mkdirSync(outDir, { recursive: true });
  const ratings = readFileSync(path.join(baseDir, 'ratings.csv'), 'utf8').trimEnd();
  writeFileSync(path.join(outDir, 'ratings.csv'), `${ratings}\n${extra.join('\n')}\n`);
  for (const f of ['movies.csv', 'links.csv', 'tags.csv'])
    if (existsSync(path.join(baseDir, f))) copyFileSync(path.join(baseDir, f), path.join(outDir, f));
  return outDir;
}

/** A cold-start case: a user no model has seen, with only their first k ratings known; the truth is their next 10 items. */
export interface ColdCase {
  user: number;
  k: number;
  lines: string[];
  seen: Set<number>;
  truth: Set<number>;
}

/**
 * Cold-start cases: `sample` users (seeded) of the full data set left out of the replay's source,
 * so no replayed model trained on them, each after their first 1, 3 and 5 ratings.
 */
export function coldStartCases(
  all: Map<number, string[]>,
  inSource: Set<number>,
  sample: number,
  seed: number,
  ks: readonly number[],
): ColdCase[] {
  const candidates = Int32Array.from(
    [...all.keys()].filter((u) => !inSource.has(u) && (all.get(u)?.length ?? 0) >= 15).sort((a, b) => a - b),
  );
  new Rng(seed).shuffle(candidates);
  const out: ColdCase[] = [];
  for (const user of candidates.slice(0, sample)) {
    const ordered = [...all.get(user)!].sort((a, b) => lineTimeMs(a) - lineTimeMs(b));
    for (const k of ks) {
      const known = ordered.slice(0, k);
      const seen = new Set(known.map(lineItem));
      const truth = new Set(
        ordered
          .slice(k)
          .map(lineItem)
          .filter((m) => !seen.has(m))
          .slice(0, 10),
      );
      out.push({ user, k, lines: known, seen, truth });
    }
  }
  return out;
}
