import type { Interactions } from '../data/interactions.js';
import { itemGram, modelledItems, userItemLists } from './user-items.js';

/** L2 weights EASE tries on validation (Steck 2019 uses 500 on ML-20M; smaller data wants less). */
export const EASE_LAMBDA_GRID = [50, 200, 800] as const;

/** At most this many items in EASE's dense item-item model (its inverse is cubic in it). */
export const EASE_MAX_ITEMS = 1000;

/**
 * In-place inverse of a symmetric positive definite m x m matrix (row-major) by Gauss-Jordan
 * elimination without pivoting (safe for SPD). Hand-written: the inner loop runs over one
 * contiguous row, faster than a row-of-arrays LU.
 */
export function invertSpd(a: Float64Array, m: number): Float64Array {
  for (let k = 0; k < m; k++) {
    const rk = k * m;
    const pivot = a[rk + k]!;
    if (!(pivot > 0)) throw new Error(`invertSpd: pivot ${pivot} at ${k}: the matrix is not positive definite`);
    a[rk + k] = 1;
    const inv = 1 / pivot;
    for (let j = 0; j < m; j++) a[rk + j]! *= inv;
    for (let i = 0; i < m; i++) {
      if (i === k) continue;
      const ri = i * m;
      const f = a[ri + k]!;
      if (f === 0) continue;
      a[ri + k] = 0;
      for (let j = 0; j < m; j++) a[ri + j]! -= f * a[rk + j]!;
    }
  }
  return a;
}

/** A fitted EASE model: B (m x m, zero diagonal) over the modelled items. */
export interface EaseModel {
  items: Int32Array;
  weights: Float32Array;
  lambda: number;
}

/** The Gram matrix EASE fits from, shared by every lambda tried (each fit copies it). */
export interface EaseInputs {
  items: Int32Array;
  gram: Float64Array;
  lists: Int32Array[];
}

export function easeInputs(data: Interactions, train: Int32Array, maxItems = EASE_MAX_ITEMS): EaseInputs {
  const lists = userItemLists(data, train);
  const items = modelledItems(data, train, maxItems);
  return { items, gram: itemGram(lists, items, data.itemIds.length), lists };
}

/** EASE (Steck 2019): B = I - P diag(1 / diag P) with P = (X^T X + lambda I)^-1, diagonal forced to 0. */
export function fitEase(inputs: EaseInputs, lambda: number): EaseModel {
  const m = inputs.items.length;
  const p = Float64Array.from(inputs.gram);
  for (let i = 0; i < m; i++) p[i * m + i]! += lambda;
  invertSpd(p, m);
  const w = new Float32Array(m * m);
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) w[i * m + j] = i === j ? 0 : -p[i * m + j]! / p[j * m + j]!;
  return { items: inputs.items, weights: w, lambda };
}

/**
 * Full-catalog scores of a user's items: sum of B's rows of the items the user watched; items
 * outside the model score below every modelled one.
 */
export function easeScorer(model: EaseModel, numItems: number): (userItems: Int32Array) => Float32Array {
  const m = model.items.length;
  const pos = new Int32Array(numItems).fill(-1);
  model.items.forEach((it, k) => (pos[it] = k));
  const acc = new Float64Array(m);
  return (userItems) => {
    acc.fill(0);
    for (const it of userItems) {
      const k = pos[it]!;
      if (k < 0) continue;
      const row = k * m;
      for (let j = 0; j < m; j++) acc[j]! += model.weights[row + j]!;
    }
    const out = new Float32Array(numItems).fill(-1e9);
    for (let j = 0; j < m; j++) out[model.items[j]!] = acc[j]!;
    return out;
  };
}
