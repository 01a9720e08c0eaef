import type { Interactions } from '../data/interactions.js';
import { topK } from '../eval/metrics.js';
import type { RankFn } from '../eval/evaluate.js';
import { mulberry32 } from '../baselines/rng.js';
import { itemTowerForward, rankerPredict, userTowerForward } from '../models/index.js';
import type { DcnParams, TwoTowerParams } from '../models/types.js';
import type { FeatureStore } from '@frec/core';
import { D_USER, rankerTrainingSet, type CatalogSnapshot, type RankerExample } from '../training-sets/build-training-sets.js';
import type { ItemGenreLookup } from '../training-sets/vectorize.js';

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
 * Picks ranker examples: a seeded sample of training interactions (label 1) and, for each,
 * `negatives` items drawn from the two-tower's top `pool` for that user at that moment that the
 * user never interacted with (label 0): the hard negatives the ranker will face in serving.
 */
export function sampleRankerExamples(options: {
  data: Interactions;
  train: Int32Array;
  /** Per-train-example user features (aligned with `train`), as used to train the two-tower. */
  userFeatures: Float32Array;
  params: TwoTowerParams;
  itemEmbeddings: Float32Array;
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
  // Favor the most recent half of training: it looks most like the moments we evaluate at.
  const from = Math.floor(train.length / 2);
  const picks = Array.from({ length: Math.min(options.positives, train.length - from) }, () => from + Math.floor(rand() * (train.length - from)));
  const feats = new Float32Array(picks.length * D_USER);
  picks.forEach((j, i) => feats.set(options.userFeatures.subarray(j * D_USER, (j + 1) * D_USER), i * D_USER));
  const userEmb = userTowerForward(params, Int32Array.from(picks, (j) => data.user[train[j]!]!), feats);
  const out: RankerExample[] = [];
  const scores = new Float32Array(data.itemIds.length);
  picks.forEach((j, i) => {
    const e = train[j]!;
    const u = data.user[e]!, atMs = data.timeMs[e]! - options.lookupOffsetMs;
    scoreAll(itemEmbeddings, dim, userEmb, i * dim, scores);
    out.push({ user: u, item: data.item[e]!, atMs, label: 1, retrievalScore: scores[data.item[e]!]! });
    const pool = topK(scores, options.pool, everSeen.get(u));
    for (let k = 0; k < options.negatives && pool.length > 0; k++) {
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
    const order = Array.from({ length: top.length }, (_, i) => i).sort((a, b) => p[o + b]! - p[o + a]! || a - b);
    ordered.set(q.user, Int32Array.from(order, (i) => top[i]!));
    o += top.length;
  }
  return (u, _at, k) => ordered.get(u)!.subarray(0, k);
}

/** Item embeddings of the whole catalog snapshot. */
export function embedCatalog(params: TwoTowerParams, catalog: CatalogSnapshot): Float32Array {
  return itemTowerForward(params, catalog.itemFeatures);
}
