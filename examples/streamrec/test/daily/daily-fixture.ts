import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DailyJobOptions } from '../../src/daily/index.js';

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
