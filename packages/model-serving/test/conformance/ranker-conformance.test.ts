import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '@frec/core/spi';
import { OnnxRanker, TritonRanker, type RankBatch, type Ranker } from '../../src/ranking/index.js';
import { startKServeServer } from '../helpers/kserve-test-server.js';
import { tinyRankerOnnx } from '../helpers/tiny-onnx.js';

// One model for every implementation: score = sigmoid(x . W + B) over 6 features.
const W = [0.4, -0.3, 0.2, 0.9, -0.6, 0.1];
const B = -0.05;
const D = W.length;
const model = tinyRankerOnnx(W, B);
let server: Awaited<ReturnType<typeof startKServeServer>>;

/** One ranker implementation as a process would run it, closed by the suite. */
interface RankerImplementation {
  open(): Promise<Ranker>;
}

// The model-backed rankers: in process, and a KServe v2 client in both of its wire formats.
const IMPLEMENTATIONS: Record<string, RankerImplementation> = {
  onnx: { open: () => OnnxRanker.load({ model, version: 'ranker@1' }) },
  'triton (binary tensors)': { open: async () => new TritonRanker({ url: server.url, model: 'ranker', binary: true }) },
  'triton (JSON)': { open: async () => new TritonRanker({ url: server.url, model: 'ranker', binary: false }) },
};

beforeAll(async () => {
  server = await startKServeServer({ model: 'ranker', onnx: model, dim: D });
});
afterAll(async () => {
  await server.close();
});

/** A seeded batch of n rows, with an extra input some other ranker would read. */
function batch(n: number, seed: number): RankBatch {
  const rand = seededRandom(seed);
  const x = Float32Array.from({ length: n * D }, () => rand() * 4 - 2);
  return { size: n, inputs: { x: { data: x, dims: [n, D] }, retrieval_score: { data: new Float32Array(n).fill(0.5), dims: [n, 1] } } };
}

/** The model's scores computed here, in double precision. */
function expected(b: RankBatch): number[] {
  const x = b.inputs.x!.data;
  return Array.from({ length: b.size }, (_, r) => {
    let z = B;
    for (let j = 0; j < D; j++) z += x[r * D + j]! * W[j]!;
    return 1 / (1 + Math.exp(-z));
  });
}

for (const [name, impl] of Object.entries(IMPLEMENTATIONS)) {
  describe(`Ranker conformance: ${name}`, () => {
    let ranker: Ranker;
    beforeAll(async () => {
      ranker = await impl.open();
    });
    afterAll(async () => {
      await ranker?.close();
    });

    it('names its kind and version', () => {
      expect(ranker.kind).toMatch(/^[a-z]+$/);
      expect(ranker.version.length).toBeGreaterThan(0);
    });

    it("scores a batch as the model defines, one float per row in row order, whatever the batch's extra inputs", async () => {
      const b = batch(300, 1);
      const scores = await ranker.score(b);
      expect(scores).toBeInstanceOf(Float32Array);
      expect(scores).toHaveLength(300);
      expected(b).forEach((want, i) => expect(scores[i]).toBeCloseTo(want, 6));
      // The same batch again gives the same scores, bit for bit.
      expect(Array.from(await ranker.score(b))).toEqual(Array.from(scores));
    });

    it('handles batch shapes from 1 row to over a thousand; a row scores the same alone as in a batch', async () => {
      for (const n of [1, 2, 17, 1025]) {
        const b = batch(n, 10 + n);
        const scores = await ranker.score(b);
        expect(scores).toHaveLength(n);
        const last = n - 1;
        const alone = await ranker.score({
          size: 1,
          inputs: { x: { data: b.inputs.x!.data.slice(last * D, (last + 1) * D), dims: [1, D] } },
        });
        expect(alone[0]).toBeCloseTo(scores[last]!, 6);
      }
    });

    it('rejects a batch without the model input, or of the wrong width, naming what is wrong', async () => {
      const missing = { size: 2, inputs: { features: { data: new Float32Array(2 * D), dims: [2, D] } } };
      await expect(ranker.score(missing)).rejects.toThrow(/'x'/);
      const narrow = { size: 2, inputs: { x: { data: new Float32Array(2 * (D - 1)), dims: [2, D - 1] } } };
      await expect(ranker.score(narrow)).rejects.toThrow();
      // Still serving after the errors.
      expect(await ranker.score(batch(3, 99))).toHaveLength(3);
    });
  });
}

describe('Ranker conformance: implementations agree', () => {
  it('every implementation gives the same scores for the same batch', async () => {
    const rankers = await Promise.all(Object.values(IMPLEMENTATIONS).map((i) => i.open()));
    try {
      const b = batch(200, 7);
      const [first, ...rest] = await Promise.all(rankers.map((r) => r.score(b)));
      for (const other of rest) for (let i = 0; i < b.size; i++) expect(other[i]).toBeCloseTo(first![i]!, 6);
    } finally {
      await Promise.all(rankers.map((r) => r.close()));
    }
  });
});
