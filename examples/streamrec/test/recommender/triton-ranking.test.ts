import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TritonRanker } from '@frec/model-serving/ranking';
import { Recommender } from '../../src/recommender/recommender.js';
import { startKServeServer } from '../../../../packages/model-serving/test/helpers/kserve-test-server.js';
import { tinyRankerOnnx } from '../../../../packages/model-serving/test/helpers/tiny-onnx.js';
import { ITEM_DIM, USER_DIM, recommenderOptions, syntheticWorld } from './helpers/fixture.js';

const D = USER_DIM + ITEM_DIM;
let server: Awaited<ReturnType<typeof startKServeServer>>;

beforeAll(async () => {
  server = await startKServeServer({ model: 'ranker', onnx: tinyRankerOnnx([0.3, -0.2, 0.1, 1, 0.5, -0.5, 0.2], 0.1), dim: D });
});
afterAll(async () => {
  await server.close();
});

describe('Triton ranker in the request path', () => {
  it('serves as the recommender ranker, and a hung Triton drops the request to SIMPLE_RANKING within the budget', async () => {
    const world = syntheticWorld(5);
    const ranker = new TritonRanker({ url: server.url, model: 'ranker' });
    const rec = new Recommender(recommenderOptions(world, ranker, { budgets: { ranking: 150 }, failuresToOpen: 100 }));
    // First call reads the model metadata; keep that out of the budgeted request.
    await ranker.score({ size: 1, inputs: { x: { data: new Float32Array(D), dims: [1, D] } } });
    const ok = await rec.recommend({ userId: 2 });
    expect(ok.degradationLevel).toBe('FULL');
    expect(ok.modelVersions.ranker).toBe('ranker@latest');
    server.state.hangMs = 1000;
    const t0 = performance.now();
    const slow = await rec.recommend({ userId: 2 });
    expect(performance.now() - t0).toBeLessThan(600);
    expect(slow.degradationLevel).toBe('SIMPLE_RANKING');
    expect(slow.degraded.ranking).toBe('timeout');
    expect(slow.items).toHaveLength(20);
    server.state.hangMs = 0;
    expect((await rec.recommend({ userId: 2 })).degradationLevel).toBe('FULL');
  });
});
