import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openModelRegistry, type ModelRegistry } from '@frec/model-registry';
import { DayStateStore, runDailyJob, type DailyJobOptions, type DailyJobReport } from '../../src/daily/index.js';
import { loadRanker } from '../../src/serve/load-models.js';
import { startRecommender, type RunningRecommender } from '../../src/serve/start-recommender.js';
import { tempFeatureRepo } from '../fixtures.js';
import { faulty } from '../rollout/rollout-fixture.js';
import { dailySource, TEST_STEPS } from './daily-fixture.js';

// One work folder through a sequence of days, in order: each test builds on the previous one's
// registry and state files, as successive cron runs would.
const root = mkdtempSync(path.join(tmpdir(), 'streamrec-daily-'));
const source = dailySource(path.join(root, 'source'));
let repo: string;
let registry: ModelRegistry;
const lines: string[] = [];
const opts = (day: string, over: Partial<DailyJobOptions> = {}): DailyJobOptions => ({
  day,
  inputDir: source,
  repoPath: repo,
  registry: path.join(root, 'models'),
  workDir: path.join(root, 'work'),
  steps: TEST_STEPS,
  trainThreads: 1,
  // The gate's latency check is not under test here: the machine may be loaded many times over.
  gateLatencyBudgetMs: 60_000,
  // Nor is the offline-metric check (shadow-gate.test.ts covers it): one-epoch models on 30 users vary too much day to day.
  metricTolerance: 1,
  log: (l) => lines.push(l),
  ...over,
});
const stage = async (name: string, version: number) => (await registry.describe(name, version)).stage;
const TEST_BUDGETS = { features: 5000, retrieval: 5000, ranking: 5000, total: 20_000 };

/** The real recommender HTTP server on the registry, as a serving pod would start after the job. */
async function served(day: string): Promise<{
  rec: RunningRecommender;
  ask: () => Promise<{ modelVersions: Record<string, string>; degradationLevel: string; items: unknown[] }>;
}> {
  const rec = await startRecommender({
    dataDir: path.join(root, 'work', 'days', day),
    modelRegistry: path.join(root, 'models'),
    repoPath: repo,
    indexDir: path.join(root, 'ann'),
    budgets: TEST_BUDGETS,
  });
  const ask = async () => {
    const res = await fetch(`${rec.url}/recommendations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: 1, count: 10 }),
    });
    expect(res.status).toBe(200);
    return (await res.json()) as { modelVersions: Record<string, string>; degradationLevel: string; items: unknown[] };
  };
  return { rec, ask };
}

beforeAll(() => {
  repo = tempFeatureRepo();
  registry = openModelRegistry(path.join(root, 'models'));
});
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  if (repo) rmSync(repo, { recursive: true, force: true });
});

describe('the daily job, day after day on one work folder', () => {
  let first: DailyJobReport;

  it('first day: slices, trains both models, registers them with metrics, range and the data checksum, materializes, gates and promotes', async () => {
    first = await runDailyJob(opts('2018-09-13'));
    expect(first).toMatchObject({ status: 'completed', exitCode: 0, outcome: { kind: 'promoted', versions: { two_tower: 1, ranker: 1 } } });
    expect(Object.keys(first.steps)).toEqual(['slice', 'train', 'materialize', 'gate']);
    for (const s of Object.values(first.steps)) expect(s.peakRssMiB).toBeGreaterThan(0);
    const ranker = await registry.describe('ranker', 1);
    expect(ranker.stage).toBe('production');
    expect(await stage('two_tower', 1)).toBe('production');
    expect(ranker.metrics['global_time/ndcg20']).toBeGreaterThanOrEqual(0);
    expect(ranker.featureService).toBe('ranker_v1');
    // Trained before the held-out slice, which ends with the day: nothing after the day is used.
    expect(Date.parse(ranker.trainingData.end)).toBeLessThan(Date.parse('2018-09-14T00:00:00Z'));
    const slice = readFileSync(path.join(root, 'work/days/2018-09-13/ratings.csv'));
    const record = JSON.parse(Buffer.from(await registry.readArtifact(ranker, 'daily/2018-09-13.json')).toString('utf8'));
    expect(record.sha256).toBe(createHash('sha256').update(slice).digest('hex'));
    // The first day has no production values to reuse: it searches them, and records when.
    expect(first.steps.train!.result).toMatchObject({ retuned: true, tuningWhy: expect.stringMatching(/no tuning record/) });
    expect(record.tuning).toMatchObject({ tunedOn: '2018-09-13', values: { blendWeight: ranker.params!.blendWeight } });
    expect(lines.some((l) => l.startsWith('[daily 2018-09-13] train | [global_time:tune-blend] done'))).toBe(true);
    expect(ranker.stageHistory.at(-1)?.reason).toMatch(/^shadow gate passed \d+ checks on \d+ requests/);
    expect(first.steps.materialize!.result.rows).toBeGreaterThan(0);
    expect(lines.some((l) => l.startsWith('[daily 2018-09-13] train | [global_time:train-two-tower]'))).toBe(true);
  }, 600_000);

  it('the same day again: reported as done, nothing retrained or registered', async () => {
    const again = await runDailyJob(opts('2018-09-13'));
    expect(again).toMatchObject({ status: 'already-done', exitCode: 0, outcome: { kind: 'promoted' } });
    expect(again.message).toMatch(/^day 2018-09-13 already finished at .*: gate passed .* \(nothing redone\)$/);
    expect((await registry.list('ranker')).map((m) => m.version)).toEqual([1]);
  });

  it('corrupt data: the slice step stops with CORRUPT_SOURCE_DATA naming file and line; nothing is registered or written', async () => {
    const bad = path.join(root, 'source-corrupt');
    cpSync(source, bad, { recursive: true });
    writeFileSync(path.join(bad, 'ratings.csv'), `${readFileSync(path.join(bad, 'ratings.csv'), 'utf8')}184,296,five,1537142400\n`);
    const r = await runDailyJob(opts('2018-09-16', { inputDir: bad }));
    const line = readFileSync(path.join(bad, 'ratings.csv'), 'utf8').trimEnd().split('\n').length;
    expect(r).toMatchObject({ status: 'failed', exitCode: 1, error: { code: 'CORRUPT_SOURCE_DATA', step: 'slice' } });
    expect(r.error!.message).toContain(`ratings.csv' line ${line}: rating 'five' is outside 0.5..5`);
    expect(r.steps).toEqual({});
    expect(existsSync(path.join(root, 'work/days/2018-09-16'))).toBe(false);
    expect((await registry.list('ranker')).map((m) => m.version)).toEqual([1]);
  });

  it('a crash mid-training (the child killed): the day fails, serving keeps the last good model, and the rerun resumes at train', async () => {
    const { rec, ask } = await served('2018-09-13');
    try {
      expect(await ask()).toMatchObject({ modelVersions: { ranker: 'ranker@1' }, degradationLevel: 'FULL' });
      const states = new DayStateStore(path.join(root, 'work'));
      const log = path.join(root, 'work/runs/2018-09-16/train.log');
      let killed: number | undefined;
      // Kill the child once it is training (its log shows the two-tower training set was built).
      const killer = setInterval(() => {
        const pid = states.read('2018-09-16')?.running?.pid;
        if (!killed && pid && existsSync(log) && readFileSync(log, 'utf8').includes('[global_time:baselines]')) {
          killed = pid;
          process.kill(pid, 'SIGKILL');
        }
      }, 100);
      const crashed = await runDailyJob(opts('2018-09-16')).finally(() => clearInterval(killer));
      expect(killed).toBeGreaterThan(0);
      expect(crashed).toMatchObject({ status: 'failed', exitCode: 1, error: { code: 'TRAINING_FAILED', step: 'train' } });
      expect(crashed.error!.message).toContain(`The training child (pid ${killed}) was killed by SIGKILL`);
      expect(Object.keys(crashed.steps)).toEqual(['slice']);
      expect((await registry.list('ranker')).map((m) => m.version)).toEqual([1]);
      expect(await ask()).toMatchObject({ modelVersions: { ranker: 'ranker@1' }, degradationLevel: 'FULL' });

      const sliceDone = crashed.steps.slice!.finishedAt;
      const resumed = await runDailyJob(opts('2018-09-16'));
      expect(resumed.outcome?.kind, resumed.message).toBe('promoted');
      expect(resumed).toMatchObject({
        status: 'completed',
        exitCode: 0,
        resumed: ['slice'],
        outcome: { kind: 'promoted', versions: { ranker: 2 } },
      });
      expect(resumed.steps.slice!.finishedAt).toBe(sliceDone);
      const state = states.read('2018-09-16')!;
      // Every attempt stays on record: the corrupt-data one, the crash, the run that finished.
      expect(state.attempts.map((a) => a.failed?.code)).toEqual(['CORRUPT_SOURCE_DATA', 'TRAINING_FAILED', undefined]);
      expect(await stage('ranker', 1)).toBe('archived');
      // Three days after the search, within the weekly schedule: production's values are reused, not searched again.
      expect(resumed.steps.train!.result).toMatchObject({
        retuned: false,
        tuningWhy: expect.stringMatching(/^reusing the values tuned on 2018-09-13/),
      });
      const v2 = await registry.describe('ranker', 2);
      const record = JSON.parse(Buffer.from(await registry.readArtifact(v2, 'daily/2018-09-16.json')).toString('utf8'));
      expect(record.tuning).toEqual(first.steps.train!.result.tuning);
      expect(v2.params!.blendWeight).toBe((await registry.describe('ranker', 1)).params!.blendWeight);
      expect(lines.some((l) => l.startsWith('[daily 2018-09-16] train | [global_time:tune-blend]'))).toBe(false);
      expect(lines.some((l) => l.startsWith('[daily 2018-09-16] train | [global_time:tune-history-query]'))).toBe(false);
    } finally {
      await rec.close();
    }
  }, 900_000);

  it('a model that fails the gate: refused with its reason, production stays, and the real server serves the last good model', async () => {
    const nan = async (...a: Parameters<typeof loadRanker>) => {
      const r = await loadRanker(...a);
      return r && faulty(r, 'nan', r.version);
    };
    const r = await runDailyJob(opts('2018-09-17', { loadRanker: nan }));
    expect(r).toMatchObject({ status: 'completed', exitCode: 2, outcome: { kind: 'refused', versions: { ranker: 3, two_tower: 3 } } });
    expect(r.message).toMatch(/finite_scores/);
    expect(r.message).toMatch(/; ranker@2 keeps serving$/);
    expect(await stage('ranker', 3)).toBe('rejected');
    expect(await stage('two_tower', 3)).toBe('rejected');
    expect((await registry.describe('ranker', 3)).stageHistory.at(-1)?.reason).toMatch(/^shadow gate refused: .*finite_scores/);
    expect((await registry.lastGood('ranker'))?.manifest.version).toBe(2);
    const { rec, ask } = await served('2018-09-17');
    try {
      const res = await ask();
      expect(res).toMatchObject({ modelVersions: { ranker: 'ranker@2', two_tower: 'two_tower@2' }, degradationLevel: 'FULL' });
      expect(res.items.length).toBe(10);
    } finally {
      await rec.close();
    }
  }, 600_000);

  it('a clock that goes back: a day before the last finished one is refused, and nothing is written or lost', async () => {
    const before = readFileSync(path.join(root, 'work/state/2018-09-17.json'), 'utf8');
    const r = await runDailyJob(opts('2018-09-15'));
    expect(r).toMatchObject({ status: 'clock-back', exitCode: 3 });
    expect(r.message).toMatch(/^day 2018-09-15 is before the last finished day 2018-09-17/);
    expect(existsSync(path.join(root, 'work/state/2018-09-15.json'))).toBe(false);
    expect(readFileSync(path.join(root, 'work/state/2018-09-17.json'), 'utf8')).toBe(before);
    expect((await registry.list('ranker')).length).toBe(3);
  });

  it('a day with no events: a clear outcome, no model trained, production unchanged', async () => {
    mkdirSync(path.join(root, 'work'), { recursive: true });
    const r = await runDailyJob(opts('2018-09-21'));
    expect(r).toMatchObject({ status: 'completed', exitCode: 0, outcome: { kind: 'no-events' } });
    expect(r.message).toMatch(/^no events on 2018-09-21: nothing to train, production unchanged \(\d+ earlier events kept\)$/);
    expect(Object.keys(r.steps)).toEqual(['slice']);
    expect((await registry.list('ranker')).length).toBe(3);
    expect((await registry.lastGood('ranker'))?.manifest.version).toBe(2);
  });
});
