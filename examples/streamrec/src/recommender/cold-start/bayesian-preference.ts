import { choleskySolve } from '../../nn/linalg.js';

/** A Gaussian prior over user preference weights, learned from the population. */
export interface PopulationPrior {
  mean: Float64Array;
  /** Per-dimension prior variance (a diagonal covariance). */
  variance: Float64Array;
}

/**
 * Bayesian linear regression of a user's response y on item embeddings x (y ~ N(w.x, noise)),
 * with a population prior on w. Each interaction is one rank-1 update of the precision matrix,
 * so a user with 3-5 interactions already moves away from the population mean — the cold-start
 * model for users the ranker has too little history for.
 */
export class BayesianPreference {
  readonly dim: number;
  /** Posterior precision (d x d), row-major. */
  private readonly precision: Float64Array;
  /** Precision-weighted mean: precision . mean. */
  private readonly b: Float64Array;
  private cached: Float64Array | undefined;
  /** Interactions seen so far. */
  count = 0;

  constructor(
    prior: PopulationPrior,
    private readonly noiseVariance = 1,
  ) {
    const d = prior.mean.length;
    this.dim = d;
    this.precision = new Float64Array(d * d);
    this.b = new Float64Array(d);
    for (let j = 0; j < d; j++) {
      const p = 1 / Math.max(prior.variance[j]!, 1e-9);
      this.precision[j * d + j] = p;
      this.b[j] = p * prior.mean[j]!;
    }
  }

  /** Adds one interaction: item embedding `x`, response `y` (1 = liked/watched, 0 = skipped). */
  update(x: ArrayLike<number>, y: number): void {
    const d = this.dim;
    const s = 1 / this.noiseVariance;
    for (let i = 0; i < d; i++) {
      const xi = x[i]! * s;
      this.b[i]! += xi * y;
      for (let j = 0; j < d; j++) this.precision[i * d + j]! += xi * x[j]!;
    }
    this.count++;
    this.cached = undefined;
  }

  /** Posterior mean of the weights. */
  mean(): Float64Array {
    this.cached ??= choleskySolve(this.precision, this.b, this.dim);
    return this.cached;
  }

  /** Expected response for each item of a row-major embedding matrix (n x d). */
  scoreAll(embeddings: Float32Array): Float32Array {
    const w = this.mean();
    const d = this.dim;
    const n = embeddings.length / d;
    const out = new Float32Array(n);
    for (let r = 0; r < n; r++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += embeddings[r * d + j]! * w[j]!;
      out[r] = s;
    }
    return out;
  }
}

/**
 * Learns the population prior from users with history: each user's profile is the mean
 * embedding of the items they engaged with; the prior is the profiles' mean and per-dimension
 * variance, scaled so that the average observed engagement scores 1 under the prior mean. A user
 * with no interactions is then ranked like the population (popularity, in embedding space).
 */
export function fitPopulationPrior(options: {
  embeddings: Float32Array;
  dim: number;
  /** Per user, the row indices of items they engaged with. */
  users: ReadonlyArray<readonly number[]>;
}): PopulationPrior {
  const { embeddings, dim: d } = options;
  const users = options.users.filter((u) => u.length > 0);
  const mean = new Float64Array(d);
  const variance = new Float64Array(d);
  const profiles = users.map((items) => {
    const p = new Float64Array(d);
    for (const r of items) for (let j = 0; j < d; j++) p[j]! += embeddings[r * d + j]! / items.length;
    return p;
  });
  for (const p of profiles) for (let j = 0; j < d; j++) mean[j]! += p[j]! / profiles.length;
  for (const p of profiles) for (let j = 0; j < d; j++) variance[j]! += (p[j]! - mean[j]!) ** 2 / profiles.length;
  let total = 0;
  let n = 0;
  for (const items of users) {
    for (const r of items) {
      let s = 0;
      for (let j = 0; j < d; j++) s += embeddings[r * d + j]! * mean[j]!;
      total += s;
      n++;
    }
  }
  const scale = n > 0 && total !== 0 ? total / n : 1;
  for (let j = 0; j < d; j++) {
    mean[j]! /= scale;
    variance[j] = Math.max(variance[j]! / (scale * scale), 1e-9);
  }
  return { mean, variance };
}
