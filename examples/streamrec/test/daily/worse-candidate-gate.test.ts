import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openModelRegistry, type ModelManifest, type ModelRegistry } from '@frec/model-registry';
import { dayArtifact, runDailyJob, type DailyJobOptions } from '../../src/daily/index.js';
import { rankerOnnxArtifacts } from '../../src/export/index.js';
import { deserializeParams, serializeParams, type DcnParams } from '../../src/models/index.js';
import { mulberry32 } from '../../src/nn/rng.js';
import { RecommendMetrics } from '../../src/recommender/recommend-metrics.js';
import { tempFeatureRepo } from '../fixtures.js';
import { CLUSTERED_DAYS, clusteredSource, TEST_STEPS } from './daily-fixture.js';

// A candidate that really ranks the day worse is refused by the gate's paired offline check, at
// its default tolerance (two standard errors of the per-request difference): the shadow checks
// (finite scores, catalog, invariants, latency) all pass for it, so without the offline check it
// would be promoted and the test would fail.
const root = mkdtempSync(path.join(tmpdir(), 'streamrec-worse-gate-'));
const source = clusteredSource(path.join(root, 'source'));
const [firstDay, worseDay, equalDay] = CLUSTERED_DAYS;
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
  // Not under test: the machine may be loaded many times over (a ranking over its stage budget
  // would count as a candidate error, a second reason beside the offline check's).
  gateLatencyBudgetMs: 60_000,
  gateBudgets: { features: 10_000, retrieval: 10_000, ranking: 10_000, total: 40_000 },
  log: (l) => lines.push(l),
  ...over,
});

/** A seeded permutation of the array (Fisher-Yates). */
function shuffled<T>(xs: readonly T[], seed: number): T[] {
  const rand = mulberry32(seed);
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * Registers a copy of a trained version tied to `day` (the job adopts it as the day's candidate).
 * `worse`: the two-tower's ids.json maps its items to a seeded permutation of the item ids (what
 * training on a slice with shuffled item ids gives: every item learned as another), and the
 * ranker's output layer is negated and served alone (blend weight 1): a ranker that learned the
 * day's relevance upside down, as flipped labels would train it. Both load and score like any model.
 */
async function candidateFrom(m: ModelManifest, day: string, worse: boolean): Promise<ModelManifest> {
  const read = async (p: string) => new Uint8Array(await registry.readArtifact(m, p));
  let artifacts = [];
  for (const a of m.artifacts.filter((x) => !x.path.startsWith('daily/'))) artifacts.push({ path: a.path, data: await read(a.path) });
  let params = m.params;
  if (worse && m.name === 'two_tower') {
    const ids = JSON.parse(Buffer.from(await read('ids.json')).toString('utf8')) as { userIds: number[]; itemIds: number[] };
    const data = new TextEncoder().encode(`${JSON.stringify({ ...ids, itemIds: shuffled(ids.itemIds, 5) })}\n`);
    artifacts = artifacts.map((a) => (a.path === 'ids.json' ? { path: a.path, data } : a));
  }
  if (worse && m.name === 'ranker') {
    const ranker = deserializeParams<DcnParams>(Buffer.from(await read('params.json')).toString('utf8'));
    ranker.head.w = ranker.head.w.map((w) => -w);
    ranker.head.b = ranker.head.b.map((b) => -b);
    const graphs = rankerOnnxArtifacts(ranker);
    artifacts = [
      ...artifacts.filter((a) => a.path !== 'params.json' && !graphs.some((g) => g.path === a.path)),
      { path: 'params.json', data: new TextEncoder().encode(serializeParams(ranker)) },
      ...graphs,
    ];
    params = { ...m.params, blendWeight: 1 };
  }
  artifacts.push({ path: dayArtifact(day), data: new TextEncoder().encode(`${JSON.stringify({ day, worse })}\n`) });
  return registry.register({
    name: m.name,
    featureService: m.featureService,
    trainingData: m.trainingData,
    metrics: m.metrics,
    params,
    artifacts,
  });
}

beforeAll(() => {
  repo = tempFeatureRepo();
  registry = openModelRegistry(path.join(root, 'models'));
});
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  if (repo) rmSync(repo, { recursive: true, force: true });
});

describe('the daily gate refuses a genuinely worse candidate on the paired held-out check', () => {
  it('a candidate with shuffled item ids and an upside-down ranker is refused beyond two paired standard errors; production keeps serving', async () => {
    const first = await runDailyJob(opts(firstDay));
    expect(first.outcome?.kind, first.message).toBe('promoted');
    const [tt, rk] = [await registry.describe('two_tower', 1), await registry.describe('ranker', 1)];
    for (const m of [tt, rk]) await candidateFrom(m, worseDay, true);

    const metrics = new RecommendMetrics();
    const gateMetrics = { decisions: metrics.gateDecisions, checkFailures: metrics.gateCheckFailures };
    const r = await runDailyJob(opts(worseDay, { gateMetrics }));
    expect(r).toMatchObject({ status: 'completed', exitCode: 2, outcome: { kind: 'refused', versions: { two_tower: 2, ranker: 2 } } });
    const outcome = r.outcome!;
    const held = outcome.kind === 'refused' ? outcome.heldOut! : undefined;
    // 72 held-out requests; production ranks the users' clusters first, the candidate last.
    expect(held?.users).toBe(72);
    expect(held!.production.ndcg20).toBeGreaterThan(0.1);
    // Refused beyond the paired tolerance, which is two standard errors here, not the 0.005 floor.
    expect(held!.tolerance.ndcg20).toBeGreaterThan(0.005);
    expect(held!.candidate.ndcg20).toBeLessThan(held!.production.ndcg20 - held!.tolerance.ndcg20);
    const reasons = outcome.kind === 'refused' ? outcome.reasons : [];
    expect(reasons.some((x) => x.startsWith('offline_metric:held_out_day/ndcg20'))).toBe(true);
    // Nothing but the offline metrics failed: the shadow checks passed the candidate.
    expect(reasons.every((x) => x.startsWith('offline_metric:held_out_day/'))).toBe(true);
    // Recorded in the registry; production untouched.
    const refused = await registry.describe('ranker', 2);
    expect(refused.stage).toBe('rejected');
    expect(refused.stageHistory.at(-1)?.reason).toMatch(/^shadow gate refused: .*offline_metric:held_out_day\/ndcg20/);
    expect((await registry.describe('two_tower', 2)).stage).toBe('rejected');
    expect((await registry.lastGood('ranker'))?.manifest.version).toBe(1);
    expect((await registry.lastGood('two_tower'))?.manifest.version).toBe(1);
    // The metric and the log line say so.
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/frec_model_gate_decisions_total\{model="ranker",outcome="refused"\} 1/);
    expect(text).toMatch(/frec_model_gate_check_failures_total\{model="ranker",check="offline_metric:held_out_day\/ndcg20"\} 1/);
    expect(lines.some((l) => /shadow gate: ranker@2 vs production ranker@1: refused .*offline_metric:held_out_day\/ndcg20/.test(l))).toBe(
      true,
    );
    expect(r.message).toMatch(/; ranker@1 keeps serving$/);
  }, 600_000);

  it('the same models unshuffled, on the next day: the same check passes them', async () => {
    const [tt, rk] = [await registry.describe('two_tower', 1), await registry.describe('ranker', 1)];
    for (const m of [tt, rk]) await candidateFrom(m, equalDay, false);
    const r = await runDailyJob(opts(equalDay));
    expect(r.outcome?.kind, r.message).toBe('promoted');
    const held = r.outcome!.kind === 'promoted' ? r.outcome!.heldOut! : undefined;
    expect(held?.candidate).toEqual(held?.production);
  }, 600_000);
});
