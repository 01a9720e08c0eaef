import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ImpressionLogger } from '@frec/monitoring';
import { RetrievalScoreRanker } from '@frec/model-serving/ranking';
import { createRecommendServer } from '../../src/recommender/server/recommend-server.js';
import { formatEngagement, streamRecEngagement } from '../../src/serve/monitor-cli.js';
import { readMovieLens } from '../../src/serve/movielens-snapshot.js';
import { rolloutWorld } from './rollout-fixture.js';

const root = mkdtempSync(path.join(tmpdir(), 'streamrec-monitor-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const CLI = fileURLToPath(new URL('../../src/serve/monitor-cli.ts', import.meta.url));
const TSX = fileURLToPath(new URL('../../../../node_modules/.bin/tsx', import.meta.url));

const run = (args: string[]) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    execFile(TSX, [CLI, ...args], { timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code) : 0, stdout, stderr }),
    ),
  );

describe('StreamRec monitor command', () => {
  it('latency: prints the latency budget report of a running recommender', async () => {
    const app = createRecommendServer({ recommender: rolloutWorld(71).recommender(new RetrievalScoreRanker()) });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      for (let u = 1; u <= 10; u++)
        await fetch(`${url}/recommendations`, {
          method: 'POST',
          body: JSON.stringify({ userId: u }),
          headers: { 'content-type': 'application/json' },
        });
      const r = await run(['latency', '--url', url]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^STAGE\s+COUNT\s+P50 MS\s+P95 MS\s+P99 MS\s+BUDGET MS$/m);
      expect(r.stdout).toMatch(/^ranking\s+10\s/m);
      expect(r.stdout).toMatch(/^critical path\s/m);
      expect(r.stdout).toMatch(/^measured total\s+10\s/m);
    } finally {
      await app.close();
    }
    const bad = await run(['latency']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('latency needs --url');
  });

  it('engagement: impressions logged on MovieLens days, scored against the ratings that followed', async () => {
    const snap = readMovieLens();
    const dir = path.join(root, 'impressions');
    const log = new ImpressionLogger({ dir, flushIntervalMs: 0 });
    // Serve each of 20 users, a day before one of their ratings, a list holding the rated item and 9 others.
    const users = [...snap.histories].slice(0, 20);
    for (const [userId, h] of users) {
      const at = h.timesMs[h.timesMs.length - 1]! - 86_400_000;
      const target = h.items[h.items.length - 1]!;
      const items = [target, ...snap.movies.slice(0, 9).map((m) => m.id)].map((itemId, i) => ({ itemId, score: 1 - i / 10 }));
      log.log({ requestId: `u${userId}`, userId, items, modelVersion: 'ranker@1', level: 'FULL', servedAt: new Date(at) });
    }
    await log.close();
    const r = await streamRecEngagement({ impressionsDir: dir, from: '1990-01-01', to: '2030-01-01' });
    expect(r.overall.lists).toBe(20);
    expect(r.overall.hitRate).toBe(1);
    expect(r.overall.engaged).toBeGreaterThanOrEqual(20);
    expect(r.catalogSize).toBe(snap.movies.length);
    expect(r.weeks.every((w) => !w.meetsTarget)).toBe(true);
    expect(formatEngagement(r)).toMatch(/^impressions 200 in 20 lists; CTR proxy \d+\.\d+%, hit rate 100\.00%/);
  });
});
