import type { ItemId } from '../types.js';

/** Item embeddings aligned with their ids, row-major (n x dim). */
export interface ItemEmbeddings {
  ids: ItemId[];
  dim: number;
  embeddings: Float32Array;
}

/**
 * Item embeddings from interaction histories by randomized subspace iteration (a truncated SVD
 * of the user x item matrix), plus a last dimension holding standardized log-popularity so a
 * linear preference model can express "popular" as well as "like these". A fallback for when
 * no trained item tower is available; seeded, so it is reproducible.
 */
export function svdItemEmbeddings(
  histories: ReadonlyArray<readonly ItemId[]>,
  options: { dim?: number; iterations?: number; seed?: number } = {},
): ItemEmbeddings {
  const k = options.dim ?? 24;
  const row = new Map<ItemId, number>();
  const ids: ItemId[] = [];
  const users = histories.map((h) => {
    const cols = new Set<number>();
    for (const id of h) {
      let r = row.get(id);
      if (r === undefined) {
        r = ids.length;
        row.set(id, r);
        ids.push(id);
      }
      cols.add(r);
    }
    return Int32Array.from(cols);
  });
  const n = ids.length;
  let state = options.seed ?? 42;
  const rand = (): number => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296 - 0.5;
  };
  let q = Float64Array.from({ length: n * k }, rand);
  orthonormalize(q, n, k);
  for (let it = 0; it < (options.iterations ?? 4); it++) {
    const next = new Float64Array(n * k);
    const u = new Float64Array(k);
    for (const cols of users) {
      u.fill(0);
      for (const c of cols) for (let j = 0; j < k; j++) u[j]! += q[c * k + j]!;
      for (const c of cols) for (let j = 0; j < k; j++) next[c * k + j]! += u[j]!;
    }
    orthonormalize(next, n, k);
    q = next;
  }
  const count = new Float64Array(n);
  for (const cols of users) for (const c of cols) count[c]!++;
  const logs = Array.from(count, (c) => Math.log1p(c));
  const mean = logs.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(logs.reduce((a, b) => a + (b - mean) ** 2, 0) / n) || 1;
  const dim = k + 1;
  const embeddings = new Float32Array(n * dim);
  // Scale factor so SVD components and the popularity column have comparable magnitudes.
  const scale = Math.sqrt(n);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < k; j++) embeddings[r * dim + j] = q[r * k + j]! * scale;
    embeddings[r * dim + k] = (logs[r]! - mean) / sd;
  }
  return { ids, dim, embeddings };
}

/** Modified Gram-Schmidt on the columns of a row-major n x k matrix. */
function orthonormalize(m: Float64Array, n: number, k: number): void {
  for (let j = 0; j < k; j++) {
    for (let p = 0; p < j; p++) {
      let dot = 0;
      for (let r = 0; r < n; r++) dot += m[r * k + j]! * m[r * k + p]!;
      for (let r = 0; r < n; r++) m[r * k + j]! -= dot * m[r * k + p]!;
    }
    let norm = 0;
    for (let r = 0; r < n; r++) norm += m[r * k + j]! ** 2;
    const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let r = 0; r < n; r++) m[r * k + j]! *= inv;
  }
}
