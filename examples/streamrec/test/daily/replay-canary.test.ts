import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openModelRegistry } from '@frec/model-registry';
import { runReplay } from '../../src/daily/replay.js';
import { cleanUpReplay, dailySource, TEST_STEPS } from './daily-fixture.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const root = mkdtempSync(path.join(tmpdir(), 'streamrec-replay-canary-'));
const runId = `frec-test-replay-canary-${randomUUID().slice(0, 8)}`;

afterAll(() => cleanUpReplay(REDIS_URL, runId, root));

describe("the replay's canary through the recommender HTTP server", () => {
  it('promotes a sound candidate step by step, rolls back one that fails at serving time, and production keeps serving', async () => {
    const out = path.join(root, 'out');
    const r = await runReplay({
      inputDir: dailySource(path.join(root, 'source')),
      outDir: out,
      repoTemplate: fileURLToPath(new URL('../../feature_repo', import.meta.url)),
      days: 3,
      // Users 1-16 all in: 30 users, so every canary's 5% holds at least one of them (a stable hash; checked below).
      sampleUsers: 16,
      steps: TEST_STEPS,
      redisUrl: REDIS_URL,
      runId,
      // Both candidates must pass the offline gate: the fault is at serving time.
      metricTolerance: 1,
      // The canary's decisions here are about errors, not this machine's speed.
      serving: { latencyScale: 50, requestsPerStep: 4, minRequestsToJudge: 2, injectBadModel: { day: '2018-09-23', mode: 'throw' } },
      log: () => {},
    });
    expect(r.days).toEqual(['2018-09-20', '2018-09-22', '2018-09-23']);
    // The first day is promoted by the job (nothing to canary against); the others are noted for their canary.
    expect(r.dayOutcomes.map((d) => d.outcome)).toEqual(['promoted', 'canary', 'canary']);
    expect(r.serving.map((s) => s.day)).toEqual(['2018-09-20', '2018-09-22', '2018-09-23']);
    const [first, sound, bad] = r.serving as [(typeof r.serving)[0], (typeof r.serving)[0], (typeof r.serving)[0]];
    expect(first).toMatchObject({ canary: 'none', production: 'ranker@1', backgroundRequests: 0, candidateArm: 0 });

    // The sound candidate: 5% -> 25% -> 100% of users, then promoted by the serving process.
    expect(sound).toMatchObject({ canary: 'promoted', candidate: 2, production: 'ranker@1', notOk: 0, shares: [0.05, 0.25, 1] });
    expect(sound.backgroundRequests).toBeGreaterThan(0);
    // The bad one: rolled back on its first failed request, while production (now ranker@2) answered everyone.
    expect(bad).toMatchObject({ canary: 'rolled_back', candidate: 3, production: 'ranker@2', notOk: 0, degraded: 0 });
    expect(bad.reason).toMatch(/^error rate 100% \(1 of 1 requests\) over the 1% budget at 5%$/);
    expect(bad.candidateArm).toBeGreaterThan(0);
    for (const a of bad.candidateAnswers)
      expect(a).toMatchObject({
        status: 200,
        items: 20,
        arm: 'candidate',
        ranker: 'ranker@2',
        level: 'FULL',
        degraded: { ranking_candidate: 'error' },
      });
    expect(bad.answers.length).toBe(bad.nextDayRequests);
    for (const a of bad.answers) expect(a).toMatchObject({ status: 200, items: 20, ranker: 'ranker@2', level: 'FULL' });

    // The loop table counts what the serving process wrote in the registry.
    expect(r.loop).toMatchObject({ promotions: 2, canaryPromotions: 1, rollbacks: 1, refusals: 0, canaries: 2, unsettled: 0 });
    expect(r.dayOutcomes.map((d) => [d.promotions, d.rollbacks])).toEqual([
      [1, 0],
      [1, 0],
      [0, 1],
    ]);
    expect(r.markdown).toContain('2 promotions (1 of them by the serving process');
    expect(r.markdown).toContain('1 rollbacks');
    expect(r.markdown).toMatch(/\| 2018-09-23 \| ranker@2 \| ranker@3 \| rolled_back \| 5% \|/);

    // The registry: the reason on the ranker, its two-tower rolled back with it, production the promoted pair.
    const reg = openModelRegistry(path.join(out, 'repo', 'data', 'models'));
    const v3 = await reg.describe('ranker', 3);
    expect(v3.stage).toBe('rejected');
    expect(v3.stageHistory.at(-1)).toMatchObject({ event: 'rolled_back', reason: `canary rollback: ${bad.reason}` });
    expect((await reg.describe('two_tower', 3)).stageHistory.at(-1)).toMatchObject({ stage: 'rejected', event: 'rolled_back' });
    expect((await reg.describe('ranker', 'production')).version).toBe(2);
    expect((await reg.describe('two_tower', 'production')).version).toBe(2);
    expect((await reg.describe('ranker', 2)).stageHistory.map((h) => h.event)).toEqual([
      'registered',
      'canary',
      'canary',
      'canary',
      'promoted',
    ]);
  }, 1_200_000);
});
