import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { mulberry32 } from '../nn/rng.js';

/** Factor counts PureSVD tries on validation; one decomposition at the largest serves them all. */
export const PURE_SVD_FACTORS_GRID = [8, 16, 32, 64] as const;

/** The top right singular vectors of the binary user-item matrix, strongest first (numItems x factors, row-major). */
export interface PureSvdModel {
  numItems: number;
  factors: number;
  itemFactors: Float64Array;
}

/**
 * PureSVD (Cremonesi et al. 2010): the top `factors` right singular vectors V of the binary
 * user-item matrix R, by randomized subspace iteration on R^T R (Halko et al. 2011: `iterations`
 * power steps, 10 extra columns) and a Rayleigh-Ritz step; a user's scores are r_u V V^T.
 */
export function fitPureSvd(lists: readonly Int32Array[], numItems: number, factors: number, seed = 42, iterations = 4): PureSvdModel {
  const k = Math.min(numItems, factors + 10);
  const rand = mulberry32(seed);
  let q: Float64Array = Float64Array.from({ length: numItems * k }, () => rand() - 0.5);
  orthonormalize(q, numItems, k);
  // Column-major (k x numItems): Gram-Schmidt and the Ritz products run over contiguous columns.
  const n = numItems;
  const gramTimes = (x: Float64Array): Float64Array => {
    const out = new Float64Array(n * k);
    for (const list of lists) {
      if (list.length === 0) continue;
      for (let c = 0; c < k; c++) {
        const o = c * n;
        let s = 0;
        for (const it of list) s += x[o + it]!;
        for (const it of list) out[o + it]! += s;
      }
    }
    return out;
  };
  for (let it = 0; it < iterations; it++) {
    q = gramTimes(q);
    orthonormalize(q, numItems, k);
  }
  // Rayleigh-Ritz: T = Q^T (R^T R) Q, whose eigenvectors rotate Q onto the singular vectors.
  const z = gramTimes(q);
  const t = new Matrix(k, k);
  for (let a = 0; a < k; a++)
    for (let b = 0; b < k; b++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += q[a * n + i]! * z[b * n + i]!;
      t.set(a, b, s);
    }
  const t2 = t.add(t.transpose()).div(2);
  const evd = new EigenvalueDecomposition(t2, { assumeSymmetric: true });
  const values = evd.realEigenvalues;
  const vectors = evd.eigenvectorMatrix;
  const order = Array.from(values.keys()).sort((a, b) => values[b]! - values[a]!);
  const f = Math.min(factors, k);
  const rot = Float64Array.from({ length: k * k }, (_, x) => vectors.get(Math.floor(x / k), x % k));
  const v = new Float64Array(numItems * f);
  for (let i = 0; i < numItems; i++)
    for (let c = 0; c < f; c++) {
      let s = 0;
      const col = order[c]!;
      for (let a = 0; a < k; a++) s += q[a * n + i]! * rot[a * k + col]!;
      v[i * f + c] = s;
    }
  return { numItems, factors: f, itemFactors: v };
}

/** Modified Gram-Schmidt on the k columns of x (column-major: column c is x[c n, (c + 1) n)). */
function orthonormalize(x: Float64Array, n: number, k: number): void {
  for (let c = 0; c < k; c++) {
    const oc = c * n;
    for (let p = 0; p < c; p++) {
      const op = p * n;
      let d = 0;
      for (let i = 0; i < n; i++) d += x[oc + i]! * x[op + i]!;
      for (let i = 0; i < n; i++) x[oc + i]! -= d * x[op + i]!;
    }
    let s = 0;
    for (let i = 0; i < n; i++) s += x[oc + i]! * x[oc + i]!;
    const inv = 1 / (Math.sqrt(s) || 1);
    for (let i = 0; i < n; i++) x[oc + i]! *= inv;
  }
}

/** Full-catalog scores r_u V_f V_f^T with the first `factors` singular vectors. */
export function pureSvdScorer(model: PureSvdModel, factors: number): (userItems: Int32Array) => Float32Array {
  const { numItems, itemFactors: v } = model;
  const F = model.factors;
  const f = Math.min(factors, F);
  const p = new Float64Array(f);
  return (userItems) => {
    p.fill(0);
    for (const it of userItems) for (let c = 0; c < f; c++) p[c]! += v[it * F + c]!;
    const out = new Float32Array(numItems);
    for (let i = 0; i < numItems; i++) {
      let s = 0;
      for (let c = 0; c < f; c++) s += v[i * F + c]! * p[c]!;
      out[i] = s;
    }
    return out;
  };
}
