import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalModelStore, ModelRegistry, type ModelManifest } from '@frec/model-registry';
import { OnnxRanker, type Ranker } from '@frec/model-serving/ranking';
import { ImpressionLogger, engagementReport, readImpressions } from '@frec/monitoring';
import { createRecommendServer } from '../../src/recommender/server/recommend-server.js';
import { RecommendMetrics } from '../../src/recommender/recommend-metrics.js';
import type { Recommender } from '../../src/recommender/recommender.js';
import type { RecommendResponse } from '../../src/recommender/types.js';
import { startStreamRecCanary } from '../../src/rollout/index.js';
import { tinyRankerOnnx } from '../../../../packages/model-serving/test/helpers/tiny-onnx.js';
import { CANDIDATE_WEIGHTS, PROD_WEIGHTS, faulty, rolloutWorld, RANKER_PARAMS } from './rollout-fixture.js';

const w = rolloutWorld(41);
const root = mkdtempSync(path.join(tmpdir(), 'streamrec-canary-'));
const trainingData = { start: '2025-12-01T00:00:00.000Z', end: '2026-01-01T00:00:00.000Z' };
const exists = async () => true;
let reg: ModelRegistry;
let prod: OnnxRanker;
let good: OnnxRanker;
let rec: Recommender;
let metrics: RecommendMetrics;
let url: string;
let close: () => Promise<void>;
let impressions: ImpressionLogger;
let nextUser = 1;
const lines: string[] = [];

beforeAll(async () => {
  reg = new ModelRegistry(new LocalModelStore(path.join(root, 'models')));
  const artifact = (weights: number[]) => [{ path: 'model.onnx', data: tinyRankerOnnx(weights, 0.1) }];
  await reg.register({
    name: 'ranker',
    featureService: 'ranker_v1',
    params: RANKER_PARAMS,
    trainingData,
    artifacts: artifact(PROD_WEIGHTS),
  });
  await reg.promote('ranker', 1, { featureServiceExists: exists });
  for (let v = 2; v <= 5; v++)
    await reg.register({
      name: 'ranker',
      featureService: 'ranker_v1',
      params: RANKER_PARAMS,
      trainingData,
      artifacts: artifact(CANDIDATE_WEIGHTS),
    });
  prod = await OnnxRanker.load({ model: tinyRankerOnnx(PROD_WEIGHTS, 0.1), version: 'ranker@1' });
  good = await OnnxRanker.load({ model: tinyRankerOnnx(CANDIDATE_WEIGHTS, 0.1), version: 'ranker@5' });
  metrics = new RecommendMetrics();
  impressions = new ImpressionLogger({ dir: path.join(root, 'impressions'), flushIntervalMs: 0 });
  rec = w.recommender(prod, {
    metrics,
    onServed: (req, res) =>
      impressions.log({
        requestId: req.requestId,
        userId: req.userId,
        items: res.items,
        modelVersion: res.modelVersions.ranker!,
        arm: res.arm,
        level: res.degradationLevel,
      }),
  });
  const app = createRecommendServer({ recommender: rec });
  url = await app.listen({ host: '127.0.0.1', port: 0 });
  close = () => app.close();
}, 60_000);

afterAll(async () => {
  await close?.();
  await impressions?.close();
  await Promise.all([prod?.close(), good?.close()]);
  rmSync(root, { recursive: true, force: true });
});

/** Sends requests for new users, 8 at a time, until `done` or `max`; every one must be answered with 20 items. */
async function drive(done: () => boolean, max: number): Promise<RecommendResponse[]> {
  const out: RecommendResponse[] = [];
  while (out.length < max && !done()) {
    const batch = await Promise.all(
      Array.from({ length: 8 }, async () => {
        const res = await fetch(`${url}/recommendations`, {
          method: 'POST',
          body: JSON.stringify({ userId: nextUser++, count: 20 }),
          headers: { 'content-type': 'application/json' },
        });
        expect(res.status).toBe(200);
        return (await res.json()) as RecommendResponse;
      }),
    );
    for (const r of batch) expect(r.items).toHaveLength(20);
    out.push(...batch);
  }
  return out;
}

async function canaryOf(ranker: Ranker, version: number, opts: { requestsPerStep?: number; p95Ms?: number } = {}) {
  const manifest: ModelManifest = await reg.describe('ranker', version);
  return startStreamRecCanary({
    recommender: rec,
    metrics,
    registry: reg,
    candidate: { ranker, manifest },
    featureServiceExists: exists,
    budgets: { errorRate: 0.01, p95Ms: opts.p95Ms ?? 150 },
    requestsPerStep: opts.requestsPerStep ?? 40,
    minRequestsToJudge: 10,
    log: (l) => lines.push(l),
  });
}

describe('canary through the real recommender HTTP server, with injected bad models', () => {
  it('a model that throws: canary users are answered by production at level FULL, then it is rolled back and recorded', async () => {
    const c = await canaryOf(faulty(good, 'throw', 'ranker@2'), 2);
    const answered = await drive(() => c.snapshot().status !== 'running', 2000);
    await c.settled();
    const onCandidate = answered.filter((r) => r.arm === 'candidate');
    expect(onCandidate.length).toBeGreaterThan(0);
    for (const r of onCandidate) {
      expect(r.degradationLevel).toBe('FULL');
      expect(r.degraded.ranking_candidate).toBe('error');
      expect(r.modelVersions.ranker).toBe('ranker@1');
    }
    expect(c.snapshot()).toMatchObject({ status: 'rolled_back', share: 0.05 });
    expect(rec.canary).toBeUndefined();
    const v2 = await reg.describe('ranker', 2);
    expect(v2.stage).toBe('rejected');
    expect(v2.stageHistory.at(-1)).toMatchObject({
      event: 'rolled_back',
      reason: expect.stringMatching(/^canary rollback: error rate 100% \(1 of 1 requests\) over the 1% budget at 5%$/),
    });
    expect((await reg.describe('ranker', 'production')).version).toBe(1);
    // Recovery: everyone is on production, with no canary arm.
    const after = await drive(() => false, 16);
    expect(after.every((r) => r.arm === undefined && r.modelVersions.ranker === 'ranker@1' && r.degradationLevel === 'FULL')).toBe(true);
    expect(lines).toContain('canary ranker@2: rolled back (error rate 100% (1 of 1 requests) over the 1% budget at 5%)');
  });

  it('a slow model: answered within the ranking budget, rolled back on p95 over the canary budget', async () => {
    const c = await canaryOf(faulty(good, 'slow', 'ranker@3', 300), 3);
    const answered = await drive(() => c.snapshot().status !== 'running', 2000);
    await c.settled();
    const onCandidate = answered.filter((r) => r.arm === 'candidate');
    expect(onCandidate.length).toBeGreaterThanOrEqual(10);
    for (const r of onCandidate) {
      expect(r).toMatchObject({ degradationLevel: 'FULL', modelVersions: { ranker: 'ranker@3' } });
      expect(r.timingsMs.ranking).toBeGreaterThanOrEqual(290);
    }
    expect(c.snapshot().reason).toMatch(/^p95 \d+\.\d ms over the 150 ms budget at 5% \(\d+ requests\)$/);
    expect((await reg.describe('ranker', 3)).stageHistory.at(-1)).toMatchObject({ stage: 'rejected', event: 'rolled_back' });
    expect((await drive(() => false, 8)).every((r) => r.modelVersions.ranker === 'ranker@1')).toBe(true);
  });

  it('a model that returns NaN: items keep their retrieval scores (FULL, nonFiniteScores), and it is rolled back', async () => {
    const c = await canaryOf(faulty(good, 'nan', 'ranker@4'), 4);
    const answered = await drive(() => c.snapshot().status !== 'running', 2000);
    await c.settled();
    const onCandidate = answered.filter((r) => r.arm === 'candidate');
    expect(onCandidate.length).toBeGreaterThan(0);
    for (const r of onCandidate) {
      expect(r).toMatchObject({ degradationLevel: 'FULL', modelVersions: { ranker: 'ranker@4' } });
      expect(Number(r.degraded.nonFiniteScores)).toBeGreaterThan(0);
      expect(r.items.every((i) => Number.isFinite(i.score))).toBe(true);
    }
    expect((await reg.describe('ranker', 4)).stage).toBe('rejected');
    const text = await (await fetch(`${url}/metrics`)).text();
    expect(text).toContain('frec_canary_events_total{model="ranker",kind="rolled_back"} 3');
    expect(text).toContain('frec_canary_share{model="ranker",candidate="ranker@4"} 0');
    expect(text).toMatch(/frec_canary_requests_total\{arm="candidate",outcome="failed"\} \d+/);
  });

  it('a sound model steps 5% -> 25% -> 100% and is promoted: production in the registry and in the recommender', async () => {
    // A budget no healthy request misses on a loaded machine: this test is about the steps, not speed.
    const c = await canaryOf(good, 5, { requestsPerStep: 20, p95Ms: 30_000 });
    const shares: number[] = [];
    await drive(() => (shares.push(c.share), c.snapshot().status !== 'running'), 4000);
    await c.settled();
    expect([...new Set(shares)]).toEqual([0.05, 0.25, 1]);
    expect(c.snapshot().status).toBe('promoted');
    expect(rec.productionRanker.version).toBe('ranker@5');
    const v5 = await reg.describe('ranker', 5);
    expect(v5.stage).toBe('production');
    expect(v5.stageHistory.map((h) => h.event)).toEqual(['registered', 'canary', 'canary', 'promoted']);
    expect(v5.stageHistory[1]!.reason).toMatch(/^step 2\/3: 25% of users after 20 requests at 5% within budget/);
    expect((await reg.describe('ranker', 1)).stage).toBe('archived');
    const after = await drive(() => false, 8);
    expect(after.every((r) => r.modelVersions.ranker === 'ranker@5' && r.arm === undefined)).toBe(true);
    const text = await (await fetch(`${url}/metrics`)).text();
    expect(text).toContain('frec_canary_events_total{model="ranker",kind="promoted"} 1');
  });

  it('the impression log holds what each arm served; the engagement report reads it back per model', async () => {
    await impressions.flush();
    const today = new Date().toISOString().slice(0, 10);
    const imps = await readImpressions(path.join(root, 'impressions'), today, today);
    expect(imps.length).toBe(20 * (nextUser - 1));
    const first = imps.filter((i) => i.requestId === imps[0]!.requestId);
    expect(first.map((i) => i.position)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    // Every user interacts with the item served first to them, an hour later.
    const interactions = imps
      .filter((i) => i.position === 0)
      .map((i) => ({ userId: i.userId, itemId: i.itemId, at: i.servedAt + 3_600_000 }));
    const r = engagementReport({ impressions: imps, interactions, catalogSize: w.world.catalog.size });
    expect(r.overall.hitRate).toBe(1);
    expect(r.overall.ctrProxy).toBeCloseTo(1 / 20, 6);
    expect(Object.keys(r.byModel).sort()).toEqual(['ranker@1', 'ranker@3', 'ranker@4', 'ranker@5']);
    expect(r.weeks).toHaveLength(1);
    expect(r.weeks[0]!.meetsTarget).toBe(false);
  });
});
