import type { RankBatch, Ranker } from '../ranker.js';

/**
 * A CPU logistic regression over the concatenated input `x`: the SIMPLE_RANKING fallback that
 * needs no model runtime, so it keeps working when the main ranker is down or over budget.
 */
export class LogisticRanker implements Ranker {
  readonly kind = 'logistic';

  constructor(
    private readonly weights: Float32Array,
    private readonly bias: number,
    readonly version: string,
    private readonly inputName = 'x',
  ) {}

  async score(batch: RankBatch): Promise<Float32Array> {
    const x = batch.inputs[this.inputName];
    const out = new Float32Array(batch.size);
    if (!x) return out;
    const d = x.dims[1] ?? 0;
    const w = this.weights;
    const m = Math.min(d, w.length);
    for (let r = 0; r < batch.size; r++) {
      let z = this.bias;
      const base = r * d;
      for (let j = 0; j < m; j++) z += x.data[base + j]! * w[j]!;
      out[r] = 1 / (1 + Math.exp(-z));
    }
    return out;
  }

  async close(): Promise<void> {}
}
