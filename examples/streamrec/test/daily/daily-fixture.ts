import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { deleteKeysWithPrefix } from '@frec/online/testing';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DailyJobOptions } from '../../src/daily/index.js';
import { mulberry32 } from '../../src/nn/rng.js';

const VENDORED = fileURLToPath(new URL('../../data/ml-latest-small', import.meta.url));

/**
 * A small MovieLens folder cut from the vendored latest-small: every user active from 2018-09-09
 * on (the days the tests run) and users 1-16 beside them, with their whole histories.
 */
export function dailySource(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const lines = readFileSync(path.join(VENDORED, 'ratings.csv'), 'utf8').split('\n');
  const since = Date.parse('2018-09-09T00:00:00Z') / 1000;
  const users = new Set<string>();
  for (const l of lines.slice(1)) {
    const f = l.split(',');
    if (f.length === 4 && (Number(f[3]) >= since || Number(f[0]) <= 16)) users.add(f[0]!);
  }
  const keep = lines.slice(1).filter((l) => users.has(l.split(',')[0]!));
  writeFileSync(path.join(dir, 'ratings.csv'), `${lines[0]!.trimEnd()}\n${keep.map((l) => l.trimEnd()).join('\n')}\n`);
  copyFileSync(path.join(VENDORED, 'movies.csv'), path.join(dir, 'movies.csv'));
  const tags = readFileSync(path.join(VENDORED, 'tags.csv'), 'utf8').split('\n');
  writeFileSync(path.join(dir, 'tags.csv'), [tags[0]!.trimEnd(), ...tags.slice(1).filter((l) => users.has(l.split(',')[0]!))].join('\n'));
  return dir;
}

/** Cheap training settings for the tests: one epoch each, a small ranker set and query grid. */
export const TEST_STEPS: DailyJobOptions['steps'] = {
  baselines: { bpr: { epochs: 1 } },
  trainRetrieval: { tower: { epochs: 1 } },
  tuneQuery: { recentWeights: [1], recentDecays: [0.25], popularityWeights: [0], coOccurrenceWeights: [0, 0.4] },
  rankerSet: { positives: 800, candidates: { twoTower: 50, trending: 20, popular: 20 } },
  trainRanker: { dcn: { epochs: 1 } },
};

/** The clustered source's days: the base period ends before FIRST_DAY; each day every user rates CLUSTER_DAY_ITEMS unseen items of their cluster. */
export const CLUSTERED_DAYS = ['2018-01-27', '2018-01-28', '2018-01-29'] as const;
const CLUSTER_DAY_ITEMS = 3;

/**
 * A seeded MovieLens folder whose users each like one cluster of items: 72 users in 6 clusters
 * of 40 items, 16 ratings each over 2018-01-01..26 (9 in 10 in their cluster), then on each of
 * CLUSTERED_DAYS every user rates 3 unseen items of their cluster. Every item has the same genre,
 * so only what a model learned of the item ids tells the clusters apart, and each day has 72
 * held-out requests: enough for a paired difference to be told from noise (latest-small's days
 * hold at most 5 returning users).
 */
export function clusteredSource(dir: string, seed = 11): string {
  const rand = mulberry32(seed);
  const clusters = 6;
  const perCluster = 40;
  const users = 72;
  const pick = (n: number) => Math.floor(rand() * n);
  const itemOf = (cluster: number, k: number) => 1 + k * clusters + cluster;
  const rows: string[] = [];
  const t0 = Date.parse('2018-01-01T00:00:00Z') / 1000;
  const seen = new Map<number, Set<number>>();
  for (let u = 1; u <= users; u++) {
    const c = (u - 1) % clusters;
    const mine = new Set<number>();
    seen.set(u, mine);
    let t = t0 + pick(86_400);
    while (mine.size < 16) {
      const own = rand() < 0.9;
      const item = own ? itemOf(c, pick(perCluster)) : 1 + pick(clusters * perCluster);
      if (mine.has(item)) continue;
      mine.add(item);
      t += 3600 + pick(24 * 3600);
      rows.push(`${u},${item},${own ? 4 + pick(2) : 2},${t}`);
    }
  }
  for (const day of CLUSTERED_DAYS) {
    const start = Date.parse(`${day}T00:00:00Z`) / 1000;
    for (let u = 1; u <= users; u++) {
      const c = (u - 1) % clusters;
      const mine = seen.get(u)!;
      let t = start + 600 + pick(3600);
      for (let n = 0; n < CLUSTER_DAY_ITEMS;) {
        const item = itemOf(c, pick(perCluster));
        if (mine.has(item)) continue;
        mine.add(item);
        n++;
        t += 60 + pick(600);
        rows.push(`${u},${item},${4 + pick(2)},${t}`);
      }
    }
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'ratings.csv'), `userId,movieId,rating,timestamp\n${rows.join('\n')}\n`);
  const movies = Array.from({ length: clusters * perCluster }, (_, i) => `${i + 1},Item ${i + 1} (2000),Drama`);
  writeFileSync(path.join(dir, 'movies.csv'), `movieId,title,genres\n${movies.join('\n')}\n`);
  return dir;
}

/** Drops what a replay test run left: its Redis stream, dead letters and keys under its prefix, and its folder. */
export async function cleanUpReplay(redisUrl: string, runId: string, root: string): Promise<void> {
  const r = new Redis(redisUrl);
  await r.unlink(`${runId}:interactions`, `${runId}:interactions:dead`);
  await deleteKeysWithPrefix(r, `${runId}:`);
  r.disconnect();
  rmSync(root, { recursive: true, force: true });
}
