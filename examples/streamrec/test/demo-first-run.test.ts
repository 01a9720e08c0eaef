import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openModelRegistry } from '@frec/model-registry';
import { runDemo, type DemoRun } from '../src/serve/demo.js';
import { tempFeatureRepo } from './fixtures.js';

// The first run of `npm run demo` on a fresh repo, bounded by count (40 seeded users), not time.
describe('npm run demo, first run on a fresh repo', () => {
  let repo: string;
  let first: DemoRun;
  const lines: string[] = [];

  beforeAll(async () => {
    repo = tempFeatureRepo();
    first = await runDemo(['--repo', repo, '--max-users', '40'], (l) => lines.push(l));
  }, 300_000);
  afterAll(() => {
    if (repo) rmSync(repo, { recursive: true, force: true });
  });

  it('trains one fit of what serving needs, registers it in production and serves recommendations from it', async () => {
    expect(first.trained).toBe(true);
    const reg = openModelRegistry(path.join(repo, 'data', 'models'));
    const tower = await reg.describe('two_tower');
    const ranker = await reg.describe('ranker');
    expect([tower.stage, ranker.stage]).toEqual(['production', 'production']);
    // One two-tower, not the ensemble of two; metrics of the global_time protocol only.
    expect(tower.params).toMatchObject({ members: 1 });
    const protocols = new Set(Object.keys(tower.metrics).map((k) => k.split('/')[0]));
    expect([...protocols]).toEqual(['global_time']);
    expect(new Set(ranker.evaluation.map((e) => (e as { protocol: string }).protocol))).toEqual(new Set(['global_time']));

    expect(first.recommendations).toHaveLength(4);
    expect(first.recommendations.at(-1)!.userId).toBe('new-visitor');
    for (const r of first.recommendations) {
      expect(r.items).toHaveLength(5);
      expect(new Set(r.items.map((i) => i.itemId)).size).toBe(5);
      for (const i of r.items) expect(i.title).not.toBe(String(i.itemId));
    }
    // Users of the trained subset are ranked by the registered ranker.
    for (const r of first.recommendations.slice(0, 3)) expect(r.ranker).toContain(String(ranker.version));
    expect(first.secondsToFirst).toBeGreaterThan(0);
    expect(lines.some((l) => l.includes('training what serving needs'))).toBe(true);
  });

  it('a second run loads the cached models instead of training', async () => {
    const lines2: string[] = [];
    const second = await runDemo(['--repo', repo], (l) => lines2.push(l));
    expect(second.trained).toBe(false);
    expect(second.recommendations[0]!.items).toHaveLength(5);
    expect(lines2.some((l) => l.includes('training'))).toBe(false);
  }, 120_000);
});
