import type { Interactions } from '../data/interactions.js';
import { topK } from '../eval/metrics.js';
import type { RankFn } from '../eval/evaluate.js';
import { mulberry32 } from '../baselines/rng.js';
import { itemTowerForward, rankerPredict, userTowerForward } from '../models/index.js';
import type { DcnParams, TwoTowerParams } from '../models/types.js';
import type { FeatureStore } from '@frec/core';
import { D_USER, rankerTrainingSet, type CatalogSnapshot, type RankerExample } from '../training-sets/build-training-sets.js';
import type { ItemGenreLookup } from '../training-sets/vectorize.js';

/** Rank offset of reciprocal-rank fusion (the usual 60). */
export const RRF_K = 60;

/** Dot products of one embedding with every row of a row-major matrix. */
export function scoreAll(matrix: Float32Array, dim: number, vec: Float32Array, vecOffset = 0, out = new Float32Array(matrix.length / dim)): Float32Array {
  for (let i = 0, o = 0; i < out.length; i++, o += dim) {
    let s = 0;
    for (let f = 0; f < dim; f++) s += matrix[o + f]! * vec[vecOffset + f]!;
    out[i] = s;
  }
  return out;
}

/**
 * Picks ranker examples the way serving meets them: for a seeded sample of held-out training
 * interactions, the two-tower retrieves its top `pool` items for that user at that moment; if the
 * interacted item is among them it is a positive (label 1), and `negatives` retrieved items the
 * user never interacted with are negatives (label 0).
 */
export function sampleRankerExamples(options: {
  data: Interactions;
  train: Int32Array;
  /** Per-train-example user features (aligned with `train`), as used to train the two-tower. */
  userFeatures: Float32Array;
  params: TwoTowerParams;
  itemEmbeddings: Float32Array;
  /** Positions in `train` the positives are drawn from: events the two-tower did not train on. */
  from: Int32Array;
  positives: number;
  negatives: number;
  pool: number;
  lookupOffsetMs: number;
  seed: number;
}): RankerExample[] {
  const { data, train, params, itemEmbeddings } = options;
  const rand = mulberry32(options.seed);
  const dim = params.config.outputDim;
  const everSeen = new Map<number, Set<number>>();
  for (const e of train) {
    const u = data.user[e]!;
    let s = everSeen.get(u);
    if (!s) everSeen.set(u, (s = new Set()));
    s.add(data.item[e]!);
  }
  // Positives come from events the retriever never saw, so their retrieval scores are out-of-sample
  // like the ones the ranker meets at serving time; otherwise it learns to trust memorized scores.
  const pool0 = options.from;
  const picks = Array.from({ length: Math.min(options.positives, pool0.length) }, () => pool0[Math.floor(rand() * pool0.length)]!);
  const feats = new Float32Array(picks.length * D_USER);
  picks.forEach((j, i) => feats.set(options.userFeatures.subarray(j * D_USER, (j + 1) * D_USER), i * D_USER));
  const userEmb = userTowerForward(params, Int32Array.from(picks, (j) => data.user[train[j]!]!), feats);
  const out: RankerExample[] = [];
  const scores = new Float32Array(data.itemIds.length);
  picks.forEach((j, i) => {
    const e = train[j]!;
    const u = data.user[e]!, atMs = data.timeMs[e]! - options.lookupOffsetMs;
    scoreAll(itemEmbeddings, dim, userEmb, i * dim, scores);
    const pool = topK(scores, options.pool, everSeen.get(u));
    const pos = data.item[e]!;
    // The ranker only ever sees retrieved items, so it learns only from them: a positive the retriever
    // would not have retrieved is dropped, else "lower retrieval score = positive" is what it learns.
    if (pool.length === 0 || scores[pos]! < scores[pool[pool.length - 1]!]!) return;
    out.push({ user: u, item: pos, atMs, label: 1, retrievalScore: scores[pos]! });
    for (let k = 0; k < options.negatives; k++) {
      const it = pool[Math.floor(rand() * pool.length)]!;
      out.push({ user: u, item: it, atMs, label: 0, retrievalScore: scores[it]! });
    }
  });
  return out;
}

/** Retrieval alone: full-catalog two-tower scores for the user's point-in-time vector. */
export function twoTowerRank(params: TwoTowerParams, itemEmbeddings: Float32Array, userVecs: ReadonlyMap<number, Float32Array>): RankFn {
  const dim = params.config.outputDim;
  const scores = new Float32Array(itemEmbeddings.length / dim);
  return (u, _at, k, exclude) => {
    const emb = userTowerForward(params, Int32Array.of(u), userVecs.get(u)!);
    return topK(scoreAll(itemEmbeddings, dim, emb, 0, scores), k, exclude);
  };
}

/**
 * Two stages: the two-tower retrieves `candidates` items per user, then the DCN-V2 ranker re-orders
 * them. The ranker's inputs are read through the `ranker_v1` feature service as of each user's
 * request time (the offline twin of the online lookup serving does), so item popularity and the
 * request context are those of that moment. Returns a RankFn over the precomputed orderings.
 */
export async function twoStageRankings(options: {
  store: FeatureStore;
  data: Interactions;
  tower: TwoTowerParams;
  ranker: DcnParams;
  itemEmbeddings: Float32Array;
  genresOf: ItemGenreLookup;
  userVecs: ReadonlyMap<number, Float32Array>;
  requests: ReadonlyArray<{ user: number; atMs: number; exclude: ReadonlySet<number> }>;
  candidates: number;
}): Promise<RankFn> {
  const { tower, itemEmbeddings, data } = options;
  const dim = tower.config.outputDim;
  const scores = new Float32Array(itemEmbeddings.length / dim);
  const examples: RankerExample[] = [];
  const cands = new Map<number, Int32Array>();
  for (const q of options.requests) {
    const emb = userTowerForward(tower, Int32Array.of(q.user), options.userVecs.get(q.user)!);
    scoreAll(itemEmbeddings, dim, emb, 0, scores);
    const top = topK(scores, options.candidates, q.exclude);
    cands.set(q.user, top);
    for (const it of top) examples.push({ user: q.user, item: it, atMs: q.atMs, label: 0, retrievalScore: scores[it]! });
  }
  const x = await rankerTrainingSet(options.store, data, examples, options.genresOf);
  const p = rankerPredict(options.ranker, x.x, x.n);
  const ordered = new Map<number, Int32Array>();
  let o = 0;
  for (const q of options.requests) {
    const top = cands.get(q.user)!;
    // Reciprocal-rank fusion of retrieval order (i) and ranker order: the ranker re-orders within
    // what retrieval already trusts, instead of overriding it (ADR 0050 has the measured effect).
    const byRanker = Array.from({ length: top.length }, (_, i) => i).sort((a, b) => p[o + b]! - p[o + a]! || a - b);
    const fused = new Float64Array(top.length);
    byRanker.forEach((i, r) => (fused[i] = 1 / (RRF_K + r + 1) + 1 / (RRF_K + i + 1)));
    const order = Array.from({ length: top.length }, (_, i) => i).sort((a, b) => fused[b]! - fused[a]! || a - b);
    ordered.set(q.user, Int32Array.from(order, (i) => top[i]!));
    o += top.length;
  }
  return (u, _at, k) => ordered.get(u)!.subarray(0, k);
}

/** Item embeddings of the whole catalog snapshot. */
export function embedCatalog(params: TwoTowerParams, catalog: CatalogSnapshot): Float32Array {
  return itemTowerForward(params, catalog.itemFeatures);
}
