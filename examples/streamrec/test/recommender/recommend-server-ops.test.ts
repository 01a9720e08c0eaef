import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnnxRanker, type Ranker } from '@frec/model-serving/ranking';
import { Recommender } from '../../src/recommender/recommender.js';
import { createRecommendServer } from '../../src/recommender/server/recommend-server.js';
import { formatLatencyReport } from '../../src/recommender/latency-budget.js';
import type { LatencyBudgetReport } from '@frec/model-serving/resilience';
import { recommenderOptions, syntheticWorld } from './helpers/fixture.js';
import { tinyRankerOnnx } from '../../../../packages/model-serving/test/helpers/tiny-onnx.js';

const world = syntheticWorld(17);
let onnx: OnnxRanker;
beforeAll(async () => {
  onnx = await OnnxRanker.load({ model: tinyRankerOnnx([0.3, -0.2, 0.1, 1, 0.5, -0.5, 0.2], 0.1), version: 'dcn-v2@1' });
});
afterAll(async () => {
  await onnx.close();
});

describe('recommend server: readiness, HTTP error rate, latency budget report', () => {
  it('GET /ready is 200 while serving, 503 once draining (requests still answered, /health 200), and when readiness says so', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const held: Ranker = { kind: 'test', version: 'held@1', score: async (b) => (await gate, onnx.score(b)), close: async () => {} };
    const rec = new Recommender(recommenderOptions(world, held));
    let ready = true;
    const app = createRecommendServer({
      recommender: rec,
      readiness: () => (ready ? { ready: true } : { ready: false, detail: 'loading ranker@2' }),
    });
    await app.ready();
    expect((await app.inject({ url: '/ready' })).json()).toEqual({ status: 'ready' });
    ready = false;
    const notReady = await app.inject({ url: '/ready' });
    expect(notReady.statusCode).toBe(503);
    expect(notReady.json()).toEqual({ status: 'not_ready', detail: 'loading ranker@2' });
    ready = true;
    const inFlight = app.inject({ method: 'POST', url: '/recommendations', payload: { userId: 1 } });
    await new Promise((r) => setTimeout(r, 20));
    app.beginDrain();
    const during = await app.inject({ url: '/ready' });
    expect(during.statusCode).toBe(503);
    expect(during.json()).toEqual({ status: 'not_ready', detail: 'shutting down' });
    // Liveness stays what it was, and requests are still answered while the load balancer lets go.
    expect((await app.inject({ url: '/health' })).statusCode).toBe(200);
    release();
    const res = await inFlight;
    expect(res.statusCode).toBe(200);
    expect(res.json().items).toHaveLength(20);
    expect((await app.inject({ method: 'POST', url: '/recommendations', payload: { userId: 2 } })).statusCode).toBe(200);
    await app.close();
  });

  it('counts HTTP requests by route and status (not probes), so 5xx over all is the error rate', async () => {
    const rec = new Recommender(recommenderOptions(world, onnx));
    const app = createRecommendServer({ recommender: rec, onInternalError: () => {} });
    for (let i = 0; i < 3; i++)
      expect((await app.inject({ method: 'POST', url: '/recommendations', payload: { userId: i + 1 } })).statusCode).toBe(200);
    expect((await app.inject({ method: 'POST', url: '/recommendations', payload: { count: 5 } })).statusCode).toBe(400);
    expect((await app.inject({ url: '/nope' })).statusCode).toBe(404);
    await app.inject({ url: '/health' });
    await app.inject({ url: '/ready' });
    const text = (await app.inject({ url: '/metrics' })).body;
    expect(text).toContain('frec_recommend_http_requests_total{route="/recommendations",status="200"} 3');
    expect(text).toContain('frec_recommend_http_requests_total{route="/recommendations",status="400"} 1');
    expect(text).toContain('frec_recommend_http_requests_total{route="unmatched",status="404"} 1');
    expect(text).not.toMatch(/frec_recommend_http_requests_total\{route="\/(health|ready|metrics)"/);
    await app.close();
  });

  it('GET /latency-budget: p50/p95/p99 per stage from the live histograms, serial sum, critical path with parallel stages overlapped', async () => {
    const rec = new Recommender(recommenderOptions(world, onnx));
    const app = createRecommendServer({ recommender: rec });
    for (let u = 1; u <= 30; u++) await app.inject({ method: 'POST', url: '/recommendations', payload: { userId: u } });
    const r = (await app.inject({ url: '/latency-budget' })).json() as LatencyBudgetReport;
    expect(r.stages.map((s) => s.stage)).toEqual([
      'features',
      'retrieval_two_tower',
      'retrieval_co_occurrence',
      'retrieval_content',
      'retrieval_trending',
      'ranking',
      'rerank',
    ]);
    for (const s of r.stages) {
      expect(s.count).toBe(30);
      expect(s.p50).toBeLessThanOrEqual(s.p95);
      expect(s.p95).toBeLessThanOrEqual(s.p99);
    }
    const p95 = (stage: string) => r.stages.find((s) => s.stage === stage)!.p95;
    const parallel = Math.max(p95('features'), ...['two_tower', 'co_occurrence', 'content', 'trending'].map((s) => p95(`retrieval_${s}`)));
    expect(r.criticalPath.p95).toBeCloseTo(parallel + p95('ranking') + p95('rerank'), 2);
    expect(r.serialSum.p95).toBeCloseTo(
      r.stages.reduce((a, s) => a + s.p95, 0),
      2,
    );
    expect(r.criticalPath.p95).toBeLessThanOrEqual(r.serialSum.p95);
    expect(r.criticalPath.stages.slice(-2)).toEqual(['ranking', 'rerank']);
    expect(r.total!.count).toBe(30);
    expect(r.stages.find((s) => s.stage === 'ranking')!.budgetMs).toBe(1000);
    const table = formatLatencyReport(r);
    expect(table.split('\n')[0]).toMatch(/^STAGE\s+COUNT\s+P50 MS\s+P95 MS\s+P99 MS\s+BUDGET MS$/);
    expect(table).toMatch(/^critical path at p95: .* -> ranking -> rerank$/m);
    await app.close();
  });
});
