import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom as rng } from '@frec/core/spi';
import { KServeClient, OnnxRanker, TritonRanker } from '../src/ranking/index.js';
import { startKServeServer } from './helpers/kserve-test-server.js';
import { tinyRankerOnnx } from './helpers/tiny-onnx.js';

// The tiny ranker reads 7 features per row.
const D = 7;
const W = [0.3, -0.2, 0.1, 1, 0.5, -0.5, 0.2];
const model = tinyRankerOnnx(W, 0.1);
let server: Awaited<ReturnType<typeof startKServeServer>>;
let local: OnnxRanker;

beforeAll(async () => {
  server = await startKServeServer({ model: 'ranker', onnx: model, dim: D });
  local = await OnnxRanker.load({ model, version: 'local' });
});
afterAll(async () => {
  await server.close();
  await local.close();
});

function batch(n: number, seed = 1) {
  const rand = rng(seed);
  const data = Float32Array.from({ length: n * D }, () => rand() * 2 - 1);
  return { size: n, inputs: { x: { data, dims: [n, D] } } };
}

describe('KServe v2 client', () => {
  it('checks readiness and reads model metadata', async () => {
    const client = new KServeClient({ url: server.url });
    expect(await client.ready()).toBe(true);
    const meta = await client.metadata('ranker');
    expect(meta).toMatchObject({ name: 'ranker', platform: 'onnxruntime_onnx', inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, D] }] });
    server.state.ready = false;
    expect(await client.ready()).toBe(false);
    server.state.ready = true;
    expect(await new KServeClient({ url: 'http://127.0.0.1:9', timeoutMs: 300 }).ready()).toBe(false);
  });

  for (const binary of [true, false]) {
    it(`scores 500 candidates ${binary ? 'with the binary tensor extension' : 'in JSON'}, equal to in-process ONNX`, async () => {
      const ranker = new TritonRanker({ url: server.url, model: 'ranker', binary, outputName: 'score' });
      const b = batch(500);
      const remote = await ranker.score(b);
      const inProcess = await local.score(b);
      expect(remote).toHaveLength(500);
      for (let i = 0; i < 500; i++) expect(remote[i]).toBeCloseTo(inProcess[i]!, 6);
      const last = server.seen.at(-1)!;
      expect(last.binary).toBe(binary);
      if (binary) expect(last.headerLength).toBeGreaterThan(0);
    });
  }

  it('reports server errors with the status and the server message', async () => {
    const client = new KServeClient({ url: server.url });
    await expect(client.infer('nope', batch(2).inputs, ['score'])).rejects.toThrow(/404.*unknown model: 'nope'/);
    const wrong = { x: { data: new Float32Array(6), dims: [2, 3] } };
    await expect(client.infer('ranker', wrong, ['score'])).rejects.toThrow(/400.*shape \[2,3\]/);
    await expect(
      new KServeClient({ url: 'http://127.0.0.1:9', timeoutMs: 300 }).infer('ranker', batch(1).inputs, ['score']),
    ).rejects.toMatchObject({
      code: 'INTERNAL',
      message: expect.stringContaining('Check that the inference server is running'),
    });
  });
});
