import { Rng } from '../nn/rng.js';
import type { RankerData, TwoTowerData } from './types.js';

/** Shape of a synthetic interaction data set. */
export interface SyntheticOptions {
  numUsers: number;
  numItems: number;
  /** Positive pairs to draw. */
  n: number;
  dUser: number;
  dItem: number;
  /** Latent factors behind preferences. Default 8. */
  latent?: number;
  seed?: number;
}

/** A seeded synthetic data set with a planted latent structure, plus held-out positives for recall checks. */
export interface SyntheticData {
  train: TwoTowerData;
  /** Held-out (user, item) positives drawn from the same preferences. */
  testUser: Int32Array;
  testItem: Int32Array;
  /** Per-user features (numUsers x dUser), the ones the examples carry. */
  userFeaturesByUser: Float32Array;
}

/**
 * Draws users and items from latent factors; features are noisy linear views of the factors and each
 * user's positives come from a softmax over item affinity mixed with popularity. For tests and benchmarks.
 */
export function syntheticInteractions(opts: SyntheticOptions): SyntheticData {
  const rng = new Rng(opts.seed ?? 7);
  const k = opts.latent ?? 8;
  const U = rng.normalArray(opts.numUsers * k, 1);
  const V = rng.normalArray(opts.numItems * k, 1);
  const pu = rng.normalArray(k * opts.dUser, 1);
  const pi = rng.normalArray(k * opts.dItem, 1);
  const project = (src: Float32Array, rows: number, proj: Float32Array, d: number): Float32Array => {
    const out = new Float32Array(rows * d);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < d; j++) {
        let s = rng.normal() * 0.3;
        for (let f = 0; f < k; f++) s += src[r * k + f]! * proj[f * d + j]!;
        out[r * d + j] = s;
      }
    }
    return out;
  };
  const userFeaturesByUser = project(U, opts.numUsers, pu, opts.dUser);
  const itemFeatures = project(V, opts.numItems, pi, opts.dItem);
  const pop = new Float64Array(opts.numItems).map(() => rng.normal() * 1.0);
  // Cumulative preference distribution per user over the catalog (small sizes only).
  const cdf = new Float64Array(opts.numItems);
  const draw = (u: number): number => {
    let acc = 0;
    for (let j = 0; j < opts.numItems; j++) {
      let s = pop[j]!;
      for (let f = 0; f < k; f++) s += U[u * k + f]! * V[j * k + f]!;
      acc += Math.exp(Math.min(s, 30));
      cdf[j] = acc;
    }
    const t = rng.next() * acc;
    let lo = 0;
    let hi = opts.numItems - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const sample = (n: number): { users: Int32Array; items: Int32Array } => {
    const users = new Int32Array(n);
    const items = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      users[i] = rng.int(opts.numUsers);
      items[i] = draw(users[i]!);
    }
    return { users, items };
  };
  const tr = sample(opts.n);
  const te = sample(Math.max(1, Math.floor(opts.n / 5)));
  const userFeatures = new Float32Array(opts.n * opts.dUser);
  for (let i = 0; i < opts.n; i++) {
    userFeatures.set(userFeaturesByUser.subarray(tr.users[i]! * opts.dUser, (tr.users[i]! + 1) * opts.dUser), i * opts.dUser);
  }
  return {
    train: {
      numUsers: opts.numUsers,
      numItems: opts.numItems,
      userIndex: tr.users,
      itemIndex: tr.items,
      dUser: opts.dUser,
      userFeatures,
      dItem: opts.dItem,
      itemFeatures,
    },
    testUser: te.users,
    testItem: te.items,
    userFeaturesByUser,
  };
}

/** A seeded ranking data set whose label depends on feature crosses (x_a * x_b), which a cross network can learn. */
export function syntheticRanking(n: number, d: number, seed = 11): RankerData {
  const rng = new Rng(seed);
  const x = rng.normalArray(n * d, 1);
  const y = new Float32Array(n);
  for (let r = 0; r < n; r++) {
    const a = x[r * d]!;
    const b = x[r * d + 1 < r * d + d ? r * d + 1 : r * d]!;
    const c = x[r * d + (d > 2 ? 2 : 0)]!;
    const z = 2 * a * b + c - 0.3;
    y[r] = rng.next() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
  }
  return { n, d, x, y, featureNames: Array.from({ length: d }, (_, i) => `x${i}`) };
}
