import type { Interactions } from '../data/interactions.js';
import { topK } from '../eval/metrics.js';
import type { RankFn } from '../eval/evaluate.js';
import { mulberry32 } from '../baselines/rng.js';
import { itemTowerForward, rankerPredict, userTowerForward } from '../models/index.js';
import type { DcnParams, TwoTowerParams } from '../models/types.js';
import { D_CONTEXT, D_ITEM, D_USER, RANKER_FEATURE_NAMES, type CatalogSnapshot, type RankerExample } from '../training-sets/build-training-sets.js';

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
 * Two stages: the two-tower retrieves `candidates` items, the DCN-V2 ranker re-orders them using
 * the user's vector, the catalog snapshot's item vectors and the request context.
 */
export function twoStageRank(options: {
  tower: TwoTowerParams;
  ranker: DcnParams;
  itemEmbeddings: Float32Array;
  catalog: CatalogSnapshot;
  userVecs: ReadonlyMap<number, Float32Array>;
  candidates: number;
  /** The context_features on-demand view's output for a request time (the same transform serving runs). */
  contextOf: (atMs: number) => Float32Array;
}): RankFn {
  const { tower, ranker, itemEmbeddings, catalog } = options;
  const dim = tower.config.outputDim;
  const d = RANKER_FEATURE_NAMES.length;
  const scores = new Float32Array(itemEmbeddings.length / dim);
  return (u, at, k, exclude) => {
    const uv = options.userVecs.get(u)!;
    const emb = userTowerForward(tower, Int32Array.of(u), uv);
    scoreAll(itemEmbeddings, dim, emb, 0, scores);
    const cands = topK(scores, Math.max(k, options.candidates), exclude);
    const m = Math.min(options.candidates, cands.length);
    const x = new Float32Array(m * d);
    const ctxVec = options.contextOf(at);
    for (let i = 0; i < m; i++) {
      const it = cands[i]!, o = i * d;
      x.set(uv, o);
      x.set(catalog.itemFeatures.subarray(it * D_ITEM, (it + 1) * D_ITEM), o + D_USER);
      for (let c = 0; c < D_CONTEXT; c++) x[o + D_USER + D_ITEM + c] = ctxVec[c]!;
      x[o + d - 1] = scores[it]!;
    }
    const p = rankerPredict(ranker, x, m);
    const order = Array.from({ length: m }, (_, i) => i).sort((a, b) => p[b]! - p[a]! || a - b);
    const out = new Int32Array(cands.length);
    order.forEach((i, r) => (out[r] = cands[i]!));
    out.set(cands.subarray(m), m);
    return out;
  };
}

/** Item embeddings of the whole catalog snapshot. */
export function embedCatalog(params: TwoTowerParams, catalog: CatalogSnapshot): Float32Array {
  return itemTowerForward(params, catalog.itemFeatures);
}
