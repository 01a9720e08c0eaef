import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { FrecError } from '@frec/core';
import { LoaderErrorCode } from '../data/movielens-loader.js';
import { DailyJobErrorCode, dailyJobError } from './daily-errors.js';

/** What the slice step wrote: the MovieLens folder of every event up to the end of the day. */
export interface DaySlice {
  dir: string;
  /** Ratings up to the end of the day (the training data). */
  events: number;
  /** Ratings on the day itself. */
  eventsOnDay: number;
  /** Users with a rating on the day (the gate's traffic). */
  usersOnDay: number[];
  /** Ratings after the day in the source (a later day's data, left out). */
  laterEvents: number;
  /** First and last event time of the slice (ISO). */
  firstEvent?: string;
  lastEvent?: string;
  /** sha256 of the slice's ratings.csv: the data the models of the day were trained on. */
  sha256: string;
}

const RATINGS_HEADER = 'userId,movieId,rating,timestamp';
const INT = /^\d+$/;

/**
 * Writes the MovieLens folder of every rating up to `endMs` (exclusive) from the source folder,
 * after checking every rating row: a malformed row (wrong column count, non-numeric id, rating
 * outside 0.5..5, non-integer timestamp) stops the job with CORRUPT_SOURCE_DATA naming the file
 * and line, before anything is written. Written to a temp folder and renamed, so a crash leaves
 * no half slice.
 */
export function writeDaySlice(sourceDir: string, outDir: string, range: { startMs: number; endMs: number }): DaySlice {
  const ratingsFile = path.join(sourceDir, 'ratings.csv');
  if (!existsSync(ratingsFile))
    throw new FrecError(LoaderErrorCode.SOURCE_NOT_FOUND, `The daily job's source folder '${sourceDir}' holds no ratings.csv.`, {
      where: { file: ratingsFile },
      hint: 'Pass --input with a MovieLens latest-style folder (ratings.csv, movies.csv).',
    });
  const lines = readFileSync(ratingsFile, 'utf8').split('\n');
  if (lines[0]?.trim() !== RATINGS_HEADER) corrupt(ratingsFile, 1, `header '${lines[0]?.slice(0, 60)}' is not '${RATINGS_HEADER}'`);
  const kept: string[] = [RATINGS_HEADER];
  const usersOnDay = new Set<number>();
  let eventsOnDay = 0,
    laterEvents = 0,
    first = Infinity,
    last = -Infinity;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!.trimEnd();
    if (!line) continue;
    const f = line.split(',');
    if (f.length !== 4) corrupt(ratingsFile, i + 1, `${f.length} columns where ${RATINGS_HEADER} has 4`);
    const [u, m, r, t] = f as [string, string, string, string];
    const rating = Number(r);
    if (!INT.test(u) || !INT.test(m)) corrupt(ratingsFile, i + 1, `user '${u}' or movie '${m}' is not a whole number`);
    if (!(rating >= 0.5 && rating <= 5)) corrupt(ratingsFile, i + 1, `rating '${r}' is outside 0.5..5`);
    if (!INT.test(t)) corrupt(ratingsFile, i + 1, `timestamp '${t}' is not whole seconds`);
    const ms = Number(t) * 1000;
    if (ms >= range.endMs) {
      laterEvents++;
      continue;
    }
    kept.push(line);
    if (ms >= range.startMs) {
      eventsOnDay++;
      usersOnDay.add(Number(u));
    }
    if (ms < first) first = ms;
    if (ms > last) last = ms;
  }
  const ratings = `${kept.join('\n')}\n`;
  const tmp = `${outDir}.${process.pid}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  writeFileSync(path.join(tmp, 'ratings.csv'), ratings);
  copyFileSync(path.join(sourceDir, 'movies.csv'), path.join(tmp, 'movies.csv'));
  for (const f of ['links.csv']) if (existsSync(path.join(sourceDir, f))) copyFileSync(path.join(sourceDir, f), path.join(tmp, f));
  const tags = path.join(sourceDir, 'tags.csv');
  if (existsSync(tags)) writeFileSync(path.join(tmp, 'tags.csv'), tagsBefore(readFileSync(tags, 'utf8'), range.endMs));
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(path.dirname(outDir), { recursive: true });
  renameSync(tmp, outDir);
  return {
    dir: outDir,
    events: kept.length - 1,
    eventsOnDay,
    usersOnDay: [...usersOnDay].sort((a, b) => a - b),
    laterEvents,
    ...(kept.length > 1 ? { firstEvent: new Date(first).toISOString(), lastEvent: new Date(last).toISOString() } : {}),
    sha256: createHash('sha256').update(ratings).digest('hex'),
  };
}

/** The tag rows up to the end of the day: the timestamp is the last column (tags may hold quoted commas). */
function tagsBefore(text: string, endMs: number): string {
  const lines = text.split('\n');
  const out = [(lines[0] ?? 'userId,movieId,tag,timestamp').trimEnd()];
  for (const line of lines.slice(1)) {
    if (!line.trim()) continue;
    const t = Number(line.trimEnd().slice(line.trimEnd().lastIndexOf(',') + 1));
    if (Number.isFinite(t) && t * 1000 < endMs) out.push(line.trimEnd());
  }
  return `${out.join('\n')}\n`;
}

function corrupt(file: string, line: number, what: string): never {
  throw dailyJobError(
    DailyJobErrorCode.CORRUPT_SOURCE_DATA,
    `'${file}' line ${line}: ${what}. The day is not trained; production keeps serving.`,
    'Fix or remove the row at its source and rerun the day (the job resumes; nothing was written).',
    { file, line },
  );
}
