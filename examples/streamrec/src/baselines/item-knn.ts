import type { EaseInputs } from './ease.js';

/** Neighbours per item ItemKNN tries on validation. */
export const ITEM_KNN_NEIGHBOURS_GRID = [25, 100, 400] as const;

/** For each modelled item i, the items j having i among their k nearest, with the similarity: score_j = sum over the user's items i. */
export interface ItemKnnModel {
  items: Int32Array;
  /** CSR over modelled item positions: reverse neighbour lists. */
  offsets: Int32Array;
  targets: Int32Array;
  sims: Float32Array;
  neighbours: number;
}

/**
 * Item-based kNN (Sarwar et al. 2001; Deshpande and Karypis 2004): cosine similarity of the items'
 * user sets from the co-watch counts, each item keeping its `neighbours` most similar items.
 */
export function fitItemKnn(inputs: EaseInputs, neighbours: number): ItemKnnModel {
  const { items, gram } = inputs;
  const m = items.length;
  const norm = Float64Array.from({ length: m }, (_, i) => Math.sqrt(gram[i * m + i]!) || 1);
  const k = Math.min(neighbours, Math.max(0, m - 1));
  // Forward lists: item j's k nearest i (sim symmetric, so row j of the Gram suffices).
  const fwd: Array<{ i: Int32Array; s: Float32Array }> = [];
  const sims = new Float64Array(m);
  const idx = Array.from({ length: m }, (_, i) => i);
  for (let j = 0; j < m; j++) {
    for (let i = 0; i < m; i++) sims[i] = i === j ? -1 : gram[j * m + i]! / (norm[i]! * norm[j]!);
    const top = idx
      .filter((i) => sims[i]! > 0)
      .sort((a, b) => sims[b]! - sims[a]! || a - b)
      .slice(0, k);
    fwd.push({ i: Int32Array.from(top), s: Float32Array.from(top, (i) => sims[i]!) });
  }
  const counts = new Int32Array(m + 1);
  for (const f of fwd) for (const i of f.i) counts[i + 1]! += 1;
  for (let i = 0; i < m; i++) counts[i + 1]! += counts[i]!;
  const fill = counts.slice(0, m);
  const targets = new Int32Array(counts[m]!),
    out = new Float32Array(counts[m]!);
  fwd.forEach((f, j) =>
    f.i.forEach((i, n) => {
      const at = fill[i]!++;
      targets[at] = j;
      out[at] = f.s[n]!;
    }),
  );
  return { items, offsets: counts, targets, sims: out, neighbours };
}

/** Full-catalog scores of a user's items; items outside the model score below every modelled one. */
export function itemKnnScorer(model: ItemKnnModel, numItems: number): (userItems: Int32Array) => Float32Array {
  const m = model.items.length;
  const pos = new Int32Array(numItems).fill(-1);
  model.items.forEach((it, k) => (pos[it] = k));
  const acc = new Float64Array(m);
  return (userItems) => {
    acc.fill(0);
    for (const it of userItems) {
      const i = pos[it]!;
      if (i < 0) continue;
      for (let at = model.offsets[i]!; at < model.offsets[i + 1]!; at++) acc[model.targets[at]!]! += model.sims[at]!;
    }
    const out = new Float32Array(numItems).fill(-1e9);
    for (let j = 0; j < m; j++) out[model.items[j]!] = acc[j]!;
    return out;
  };
}
