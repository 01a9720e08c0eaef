import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FrecError } from '@frec/core';
import { loadMovieLens } from '../src/data/movielens-loader.js';
import { queryRows, withDuckDb } from '../src/data/duckdb-session.js';
import { csvFixture, uDataFixture } from './fixtures.js';

const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'streamrec-out-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const read = (file: string, sql = 'SELECT *'): Promise<Array<Record<string, unknown>>> =>
  withDuckDb((c) => queryRows(c, `${sql} FROM read_parquet('${file}')`));

describe('MovieLens loader', () => {
  it('loads the ratings.csv layout: events, item years and genres, tags', async () => {
    const fx = csvFixture();
    dirs.push(fx.dir);
    const out = tmp();
    const res = await loadMovieLens({ inputDir: fx.dir, outDir: out });
    expect(res.format).toBe('csv');
    expect(res.interactions).toBe(fx.ratings.length);
    expect(res.items).toBe(30);
    expect(res.tags).toBe(6);
    const events = await read(res.files.interactions, 'SELECT user_id, item_id, rating, epoch(event_timestamp) AS ts');
    const key = (r: { user: number; item: number; ts: number }): string => `${r.user}/${r.item}/${r.ts}`;
    expect(new Set(events.map((e) => key({ user: e.user_id as number, item: e.item_id as number, ts: e.ts as number })))).toEqual(
      new Set(fx.ratings.map(key)),
    );
    const items = await read(res.files.items);
    const m5 = items.find((i) => i.item_id === 5)!;
    expect(m5.title).toBe('Movie, The 5 (1985)');
    expect(m5.year).toBe(1985);
    expect(items.find((i) => i.item_id === 7)!.genres).toEqual([]);
    expect(items.find((i) => i.item_id === 1)!.genres).toEqual(['Comedy', 'Thriller']);
  });

  it('loads the u.data / u.item layout (MovieLens 100K)', async () => {
    const fx = uDataFixture();
    dirs.push(fx.dir);
    const res = await loadMovieLens({ inputDir: fx.dir, outDir: tmp() });
    expect(res.format).toBe('u.data');
    expect(res.interactions).toBe(fx.ratings.length);
    expect(res.users).toBe(10);
    expect(res.tags).toBe(0);
    const items = await read(res.files.items);
    const i3 = items.find((i) => i.item_id === 3)!;
    expect(i3.year).toBe(1993);
    expect(i3.genres).toEqual(['Children']);
  });

  it('keeps a seeded subset of users', async () => {
    const fx = csvFixture(3, 20, 30);
    dirs.push(fx.dir);
    const a = await loadMovieLens({ inputDir: fx.dir, outDir: tmp(), maxUsers: 5, seed: 1 });
    const b = await loadMovieLens({ inputDir: fx.dir, outDir: tmp(), maxUsers: 5, seed: 1 });
    expect(a.users).toBe(5);
    const users = async (f: string): Promise<unknown[]> => (await read(f, 'SELECT DISTINCT user_id')).map((r) => r.user_id).sort();
    expect(await users(a.files.interactions)).toEqual(await users(b.files.interactions));
  });

  it('rejects a missing folder, a folder without ratings, missing columns and bad rows with clear errors', async () => {
    const err = async (dir: string): Promise<FrecError> => {
      try {
        await loadMovieLens({ inputDir: dir, outDir: tmp() });
      } catch (e) {
        return e as FrecError;
      }
      throw new Error('expected an error');
    };
    const missing = await err('/nonexistent/ml');
    expect(missing.code).toBe('SOURCE_NOT_FOUND');
    expect(missing.message).toContain('/nonexistent/ml');

    const empty = tmp();
    expect((await err(empty)).message).toMatch(/neither ratings\.csv nor u\.data/);

    const badCols = tmp();
    writeFileSync(path.join(badCols, 'ratings.csv'), 'user,movie,stars\n1,2,3\n');
    const e1 = await err(badCols);
    expect(e1.code).toBe('SOURCE_SCHEMA_MISMATCH');
    expect(e1.message).toContain('userId');

    const badRow = tmp();
    writeFileSync(path.join(badRow, 'ratings.csv'), 'userId,movieId,rating,timestamp\n1,2,3.5,1500000000\n1,x,4,1500000001\n');
    const e2 = await err(badRow);
    expect(e2.code).toBe('SOURCE_SCHEMA_MISMATCH');
    expect(e2.message).toMatch(/1 row\(s\).*data row 2/);
  });
});
