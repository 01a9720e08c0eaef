import { describe, expect, it } from 'vitest';
import { LogisticRanker, OnnxRanker, RetrievalScoreRanker, concatRankBatch } from '../src/ranking/index.js';
import { tinyRankerOnnx } from './helpers/tiny-onnx.js';

describe('rankers', () => {
  const batch = concatRankBatch({ user: [1, 2], items: [[0.5], [-1], [3]], context: [1], retrievalScores: [0.9, 0.5, 0.1] });

  it('concatRankBatch lays out [user | item | context] rows and refuses ragged item rows', () => {
    expect(batch.inputs.x!.dims).toEqual([3, 4]);
    expect(Array.from(batch.inputs.x!.data.subarray(4, 8))).toEqual([1, 2, -1, 1]);
    expect(() => concatRankBatch({ user: [1], items: [[1, 2], [3]] })).toThrow(/item row 1 has 1 features, expected 2/);
  });

  it('the ONNX ranker and the logistic ranker agree on the same weights', async () => {
    const w = [0.1, -0.2, 0.7, 0.3];
    const onnx = await OnnxRanker.load({ model: tinyRankerOnnx(w, 0.05), version: 'v1' });
    try {
      const a = await onnx.score(batch);
      const b = await new LogisticRanker(Float32Array.from(w), 0.05, 'lr').score(batch);
      for (let i = 0; i < 3; i++) expect(a[i]).toBeCloseTo(b[i]!, 5);
      await expect(onnx.score({ size: 1, inputs: { y: { data: new Float32Array(4), dims: [1, 4] } } })).rejects.toThrow(
        /input 'x' is missing/,
      );
    } finally {
      await onnx.close();
    }
  });

  it('the retrieval-score ranker returns the fused retrieval scores', async () => {
    expect(Array.from(await new RetrievalScoreRanker().score(batch))).toEqual([0.9, 0.5, 0.1].map((v) => Math.fround(v)));
  });
});
