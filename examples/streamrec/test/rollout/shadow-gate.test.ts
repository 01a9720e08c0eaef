import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalModelStore, ModelRegistry } from '@frec/model-registry';
import { OnnxRanker } from '@frec/model-serving/ranking';
import { RecommendMetrics } from '../../src/recommender/recommend-metrics.js';
import { InMemoryCatalog } from '../../src/recommender/in-memory-catalog.js';
import { rerank, type RankedItem } from '../../src/recommender/rerank/rerank-pipeline.js';
import type { ItemId, RecommendRequest } from '../../src/recommender/types.js';
import { gateRegisteredCandidate, runStreamRecShadowGate, type TracedAnswer } from '../../src/rollout/index.js';
import { loadRanker } from '../../src/serve/load-models.js';
import { tinyRankerOnnx } from '../../../../packages/model-serving/test/helpers/tiny-onnx.js';
import { CANDIDATE_WEIGHTS, CtrRanker, PROD_WEIGHTS, faulty, rolloutWorld, RANKER_PARAMS } from './rollout-fixture.js';

const w = rolloutWorld(31);
const root = mkdtempSync(path.join(tmpdir(), 'streamrec-gate-'));
let prod: OnnxRanker;
let good: OnnxRanker;
const traffic: RecommendRequest[] = Array.from({ length: 30 }, (_, i) => ({ userId: i + 1, count: 20 }));
const trainingData = { start: '2025-12-01T00:00:00.000Z', end: '2026-01-01T00:00:00.000Z' };
const prodManifest = {
  name: 'ranker',
  version: 1,
  metrics: { 'global_time/ndcg20': 0.2, 'global_time/recall20': 0.3 },
  trainingData,
} as never;
const candManifest = (metrics: Record<string, number> = { 'global_time/ndcg20': 0.199, 'global_time/recall20': 0.31 }) =>
  ({ name: 'ranker', version: 2, metrics, trainingData }) as never;
const silent = () => {};

beforeAll(async () => {
  prod = await OnnxRanker.load({ model: tinyRankerOnnx(PROD_WEIGHTS, 0.1), version: 'ranker@1' });
  good = await OnnxRanker.load({ model: tinyRankerOnnx(CANDIDATE_WEIGHTS, 0.1), version: 'ranker@2' });
});
afterAll(async () => {
  await Promise.all([prod.close(), good.close()]);
  rmSync(root, { recursive: true, force: true });
});

/** The seed's bug three: a re-ranking step that caps genres first and adds promotional boosts after. */
function diversityBeforePromotions(a: TracedAnswer): TracedAnswer {
  const { trace } = a;
  const seen = new Set(trace.seen);
  const diversified = rerank(trace.ranked, {
    count: trace.ranked.length,
    genresOf: (id) => w.world.catalog.genres(id),
    diversity: w.rules.diversity,
  });
  const boosted: RankedItem[] = diversified.map((i) => ({ ...i, score: i.score + (w.rules.promotions.get(i.itemId) ?? 0) }));
  boosted.sort((x, y) => y.score - x.score);
  const items = boosted.filter((i) => !seen.has(i.itemId)).slice(0, trace.count);
  return { trace, response: { ...a.response, items } };
}

describe('shadow gate on the StreamRec request path', () => {
  it('promotes a sound candidate: every named check holds, responses are not changed, nothing is recorded', async () => {
    const metrics = new RecommendMetrics();
    const rec = w.recommender(prod, { metrics });
    const before = await Promise.all(traffic.slice(0, 5).map((r) => w.recommender(prod).recommend(r)));
    const lines: string[] = [];
    const d = await runStreamRecShadowGate({
      recommender: rec,
      catalog: w.world.catalog,
      impressionsOf: w.impressionsOf,
      candidate: { ranker: good, manifest: candManifest() },
      production: { manifest: prodManifest },
      traffic,
      gateMetrics: { decisions: metrics.gateDecisions, checkFailures: metrics.gateCheckFailures },
      log: (l) => lines.push(l),
    });
    expect(d.reasons).toEqual([]);
    expect(d.outcome).toBe('promoted');
    expect(d.checks.map((c) => c.name)).toEqual([
      'traffic',
      'candidate_errors',
      'finite_scores',
      'zero_impression_scores_finite',
      'no_removed_items',
      'promotions_before_diversity',
      'offline_metric:global_time/ndcg20',
      'offline_metric:global_time/recall20',
      'latency_p95',
    ]);
    expect(lines[0]).toContain('ranker@2 vs production ranker@1: promoted');
    // Traced runs record nothing: no stage histogram, no exposure; production answers as before.
    const text = await metrics.text();
    expect(text).not.toMatch(/frec_recommend_stage_seconds_count\{stage="total"\}/);
    expect(text).toContain('frec_model_gate_decisions_total{model="ranker",outcome="promoted"} 1');
    const after = await Promise.all(traffic.slice(0, 5).map((r) => rec.recommend(r)));
    expect(after.map((r) => r.items)).toEqual(before.map((r) => r.items));
  });

  it('bug one, NaN for zero-impression items: refused by finite_scores and zero_impression_scores_finite', async () => {
    const metrics = new RecommendMetrics();
    const lines: string[] = [];
    const d = await runStreamRecShadowGate({
      recommender: w.recommender(prod, { metrics }),
      catalog: w.world.catalog,
      impressionsOf: w.impressionsOf,
      candidate: { ranker: new CtrRanker('ranker@3'), manifest: candManifest() },
      production: { manifest: prodManifest },
      traffic,
      gateMetrics: { decisions: metrics.gateDecisions, checkFailures: metrics.gateCheckFailures },
      log: (l) => lines.push(l),
    });
    expect(d.outcome).toBe('refused');
    expect(d.checks.filter((c) => !c.passed).map((c) => c.name)).toEqual(['finite_scores', 'zero_impression_scores_finite']);
    const zero = d.checks.find((c) => c.name === 'zero_impression_scores_finite')!;
    expect(zero.violations).toBe(traffic.length);
    const id = Number(/e\.g\. (\d+)/.exec(zero.examples[0]!)![1]);
    expect(w.impressionsOf(id)).toBe(0);
    expect(lines[0]).toMatch(/refused on 30 requests; finite_scores: 30 of 30 requests broke it/);
    expect(await metrics.text()).toContain('frec_model_gate_check_failures_total{model="ranker",check="zero_impression_scores_finite"} 1');
  });

  it('bug two, removed items returned: a candidate built on an old catalog is refused by no_removed_items', async () => {
    const current = new InMemoryCatalog(w.world.items);
    const removed: ItemId[] = w.world.trending
      .list()
      .slice(10, 25)
      .map((i) => i.itemId);
    for (const id of removed) current.remove(id);
    const production = w.recommender(prod, { catalog: current });
    // The candidate's request path was built with the catalog of its training day.
    const stale = w.recommender(good, { catalog: w.fullCatalog() });
    const d = await runStreamRecShadowGate({
      recommender: production,
      catalog: current,
      impressionsOf: w.impressionsOf,
      candidate: { ranker: good, manifest: candManifest() },
      production: { manifest: prodManifest },
      traffic,
      serveCandidate: (r) => stale.recommendTraced(r),
      log: silent,
    });
    expect(d.outcome).toBe('refused');
    // Removed items have no genres in the current catalog, so the rule order breaks around them too.
    expect(d.checks.filter((c) => !c.passed).map((c) => c.name)).toContain('no_removed_items');
    expect(d.checks.find((c) => c.name === 'no_removed_items')!.violations).toBeGreaterThan(20);
    const ids = d.checks.find((c) => c.name === 'no_removed_items')!.examples.flatMap((e) => e.split(': ')[1]!.split(', ').map(Number));
    expect(ids.length).toBeGreaterThan(0);
    for (const id of ids) expect(removed).toContain(id);
  });

  it('bug three, diversity applied before promotional boosts: refused by promotions_before_diversity', async () => {
    const rec = w.recommender(prod);
    const d = await runStreamRecShadowGate({
      recommender: rec,
      catalog: w.world.catalog,
      impressionsOf: w.impressionsOf,
      candidate: { ranker: good, manifest: candManifest() },
      production: { manifest: prodManifest },
      traffic,
      serveCandidate: async (r) => diversityBeforePromotions(await rec.recommendTraced(r, good)),
      log: silent,
    });
    expect(d.outcome).toBe('refused');
    expect(d.checks.filter((c) => !c.passed).map((c) => c.name)).toEqual(['promotions_before_diversity']);
    expect(d.checks.find((c) => c.name === 'promotions_before_diversity')!.examples[0]).toMatch(
      /^position \d+: item \d+ where the rule order gives \d+$/,
    );
  });

  it('refuses a worse offline metric and a slow candidate, naming the metric and the budget', async () => {
    const d = await runStreamRecShadowGate({
      recommender: w.recommender(prod),
      catalog: w.world.catalog,
      impressionsOf: w.impressionsOf,
      candidate: {
        ranker: faulty(good, 'slow', 'ranker@4', 60),
        manifest: candManifest({ 'global_time/ndcg20': 0.18, 'global_time/recall20': 0.3 }),
      },
      production: { manifest: prodManifest },
      traffic: traffic.slice(0, 8),
      latencyBudgetMs: 30,
      log: silent,
    });
    expect(d.checks.filter((c) => !c.passed).map((c) => c.name)).toEqual(['offline_metric:global_time/ndcg20', 'latency_p95']);
    expect(d.reasons[1]).toMatch(/^latency_p95: candidate p95 \d+\.\d+ ms over the 30 ms budget$/);
  });

  it('through the registry: a corrupt candidate and a failing one are refused with their reasons; production stays', async () => {
    const reg = new ModelRegistry(new LocalModelStore(path.join(root, 'models')));
    const exists = async () => true;
    const enc = (w8: number[]) => ({ path: 'model.onnx', data: tinyRankerOnnx(w8, 0.1) });
    await reg.register({
      name: 'ranker',
      featureService: 'ranker_v1',
      params: RANKER_PARAMS,
      trainingData,
      metrics: { 'global_time/ndcg20': 0.2 },
      artifacts: [enc(PROD_WEIGHTS)],
    });
    await reg.promote('ranker', 1, { featureServiceExists: exists });
    await reg.register({
      name: 'ranker',
      featureService: 'ranker_v1',
      params: RANKER_PARAMS,
      trainingData,
      metrics: { 'global_time/ndcg20': 0.2 },
      artifacts: [enc(CANDIDATE_WEIGHTS)],
    });
    writeFileSync(path.join(root, 'models/ranker/2/artifacts/model.onnx'), 'truncated');
    const common = {
      registry: reg,
      recommender: w.recommender(prod),
      catalog: w.world.catalog,
      impressionsOf: w.impressionsOf,
      traffic: traffic.slice(0, 10),
      load: loadRanker,
      rollout: { kind: 'canary' as const },
      log: silent,
    };
    const corrupt = await gateRegisteredCandidate({ ...common, version: 2 });
    expect(corrupt.decision.outcome).toBe('refused');
    expect(corrupt.decision.reasons[0]).toMatch(
      /^artifact: cannot load the candidate: Artifact 'model.onnx' of ranker v2 does not match its sha256/,
    );
    expect((await reg.describe('ranker', 2)).stageHistory.at(-1)).toMatchObject({
      stage: 'rejected',
      event: 'refused',
      reason: expect.stringContaining('sha256'),
    });

    // A sound artifact whose model throws: loaded, gated, refused on candidate_errors.
    await reg.register({
      name: 'ranker',
      featureService: 'ranker_v1',
      params: RANKER_PARAMS,
      trainingData,
      metrics: { 'global_time/ndcg20': 0.2 },
      artifacts: [enc(CANDIDATE_WEIGHTS)],
    });
    const throwing = await gateRegisteredCandidate({ ...common, version: 3, load: async () => faulty(good, 'throw', 'ranker@3') });
    expect(throwing.decision.reasons[0]).toMatch(
      /^candidate_errors: 10 of 10 requests failed on the candidate \(e\.g\. request 1: the candidate ranker did not answer \(error\)\)/,
    );

    await reg.register({
      name: 'ranker',
      featureService: 'ranker_v1',
      params: RANKER_PARAMS,
      trainingData,
      metrics: { 'global_time/ndcg20': 0.2 },
      artifacts: [enc(CANDIDATE_WEIGHTS)],
    });
    const passed = await gateRegisteredCandidate({ ...common, version: 4 });
    expect(passed.decision.reasons).toEqual([]);
    expect(passed.decision.outcome).toBe('promoted');
    expect(passed.candidate?.version).toBe('ranker@4');
    await passed.candidate!.close();
    expect((await reg.describe('ranker', 4)).stageHistory.at(-1)).toMatchObject({
      stage: 'candidate',
      event: 'canary',
      reason: expect.stringMatching(/^shadow gate passed \d+ checks on 10 requests; canary starts$/),
    });
    expect((await reg.describe('ranker', 'production')).version).toBe(1);
    expect((await reg.history('ranker')).filter((h) => h.event === 'refused').map((h) => h.version)).toEqual([2, 3]);
  });
});
