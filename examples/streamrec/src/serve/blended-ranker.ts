import type { RankBatch, Ranker } from '@frec/model-serving/ranking';

/** z-scores values within one request over its finite entries (all-equal values give zeros). */
function zscore(v: Float64Array): Float64Array {
  let m = 0;
  let n = 0;
  for (const x of v) {
    if (!Number.isFinite(x)) continue;
    m += x;
    n++;
  }
  m /= Math.max(1, n);
  let s = 0;
  for (const x of v) if (Number.isFinite(x)) s += (x - m) * (x - m);
  const sd = Math.sqrt(s / Math.max(1, n)) || 1;
  for (let i = 0; i < v.length; i++) v[i] = (v[i]! - m) / sd;
  return v;
}

/**
 * Serves the ranking the pipeline evaluated: w * z(ranker logit) + (1 - w) * z(two-tower score),
 * z-scored within the request (ADR 0052). The two-tower score is the batch's last feature column.
 * A NaN or infinite ranker score stays non-finite, so the recommender's per-item fallback still applies.
 * At w = 0 the ranker's scores would be multiplied by 0, so it is not run at all: the order is the
 * retrieval score's, which is what the pipeline evaluated at that weight (issue 21).
 */
export class BlendedRanker implements Ranker {
  readonly kind: string;
  readonly version: string;
  constructor(
    private readonly inner: Ranker,
    private readonly weight: number,
    private readonly inputName = 'features',
  ) {
    this.kind = `${inner.kind}+blend`;
    this.version = inner.version;
  }

  /** Whether the ranker model runs: not at weight 0. */
  get runsModel(): boolean {
    return this.weight > 0;
  }

  async score(batch: RankBatch, signal?: AbortSignal): Promise<Float32Array> {
    const x = batch.inputs[this.inputName];
    const n = batch.size;
    if (this.weight === 0 && x && n > 0) {
      const d = x.dims[1] ?? x.data.length / n;
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = x.data[i * d + d - 1]!;
      return out;
    }
    const p = await this.inner.score(batch, signal);
    if (!x || n === 0) return p;
    const d = x.dims[1] ?? x.data.length / n;
    const logits = new Float64Array(n);
    const tower = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const q = Math.min(1 - 1e-6, Math.max(1e-6, p[i]!));
      logits[i] = Math.log(q / (1 - q));
      tower[i] = x.data[i * d + d - 1]!;
    }
    zscore(logits);
    zscore(tower);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = Number.isFinite(p[i]!) ? this.weight * logits[i]! + (1 - this.weight) * tower[i]! : p[i]!;
    return out;
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
