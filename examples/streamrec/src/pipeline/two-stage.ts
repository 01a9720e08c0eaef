import type { Interactions } from '../data/interactions.js';
import { ndcgAtK, topK } from '../eval/metrics.js';
import type { RankFn } from '../eval/evaluate.js';
import { mulberry32 } from '../nn/rng.js';
import { ensembleDim, ensembleItemForward, ensembleUserForward, rankerPredict, type TowerEnsemble } from '../models/index.js';
import {
  addBias,
  historyQuery,
  POPULARITY_WEIGHT_GRID,
  RECENT_DECAY_GRID,
  RECENT_WEIGHT_GRID,
  type HistoryQueryParams,
} from '../retrieval/index.js';
import type { DcnParams } from '../models/types.js';
import type { FeatureStore } from '@frec/core';
import { D_USER, rankerTrainingSet, type CatalogSnapshot, type RankerExample } from '../training-sets/build-training-sets.js';
import type { ItemGenreLookup } from '../training-sets/vectorize.js';
import type { OfflineCandidates } from './candidates.js';
import { allowedItems, type ItemExclusion } from '../eval/catalog-at.js';
import { coOccurrenceScores, type CoOccurrenceTable } from '../retrieval/co-occurrence.js';

/** The co-occurrence term of the retrieval score (ADR 0078): `weight` x coOccurrenceScores against the request's recent items. */
export interface CoOccurrenceTerm {
  table: CoOccurrenceTable;
  weight: number;
}

/**
 * One request's scores over the catalog: q . v plus the item bias into `buf.tower` (what the ANN
 * source ranks by) and, with `cooc`, the raw co-occurrence with the recent items into `buf.cooc`
 * (what the co-occurrence source ranks by). `retrievalScore` combines them for the few items scored.
 */
function requestScores(
  itemEmbeddings: Float32Array,
  dim: number,
  query: Float32Array,
  itemBias: Float32Array | undefined,
  recent: ArrayLike<number>,
  cooc: CoOccurrenceTerm | undefined,
  buf: ScoreBuffers,
): void {
  addBias(scoreAll(itemEmbeddings, dim, query, 0, buf.tower), itemBias);
  if (cooc) coOccurrenceScores(cooc.table, recent, buf.cooc);
}

/** The retrieval score of one item after requestScores, rounded to float32 like the tower's scores. */
function retrievalScore(buf: ScoreBuffers, cooc: CoOccurrenceTerm | undefined, item: number): number {
  return cooc ? Math.fround(buf.tower[item]! + cooc.weight * buf.cooc[item]!) : buf.tower[item]!;
}

interface ScoreBuffers {
  tower: Float32Array;
  cooc: Float32Array;
}

function scoreBuffers(numItems: number): ScoreBuffers {
  return { tower: new Float32Array(numItems), cooc: new Float32Array(numItems) };
}

/** Co-occurrence weights tried on the held-out users, at the query the first passes chose. */
export const CO_OCCURRENCE_WEIGHT_GRID = [0, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6] as const;

/** Dot products of one embedding with every row of a row-major matrix. */
export function scoreAll<T extends Float32Array | Float64Array = Float32Array>(
  matrix: Float32Array,
  dim: number,
  vec: Float32Array,
  vecOffset = 0,
  out: T = new Float32Array(matrix.length / dim) as T,
): T {
  // Four rows at a time: one row's sum is a chain of dependent adds, so four independent chains run
  // twice as fast. Each row still sums in feature order, so the scores are the same bits.
  const n = out.length;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o0 = i * dim,
      o1 = o0 + dim,
      o2 = o1 + dim,
      o3 = o2 + dim;
    let s0 = 0,
      s1 = 0,
      s2 = 0,
      s3 = 0;
    for (let f = 0; f < dim; f++) {
      const v = vec[vecOffset + f]!;
      s0 += matrix[o0 + f]! * v;
      s1 += matrix[o1 + f]! * v;
      s2 += matrix[o2 + f]! * v;
      s3 += matrix[o3 + f]! * v;
    }
    out[i] = s0;
    out[i + 1] = s1;
    out[i + 2] = s2;
    out[i + 3] = s3;
  }
  for (let o = i * dim; i < n; i++, o += dim) {
    let s = 0;
    for (let f = 0; f < dim; f++) s += matrix[o + f]! * vec[vecOffset + f]!;
    out[i] = s;
  }
  return out;
}

/**
 * Picks ranker examples the way serving meets them: for a seeded sample of held-out training
 * interactions, the offline candidate sources (two-tower, trending, popular) retrieve candidates for
 * that user at that moment; if the interacted item is among them it is a positive (label 1), and
 * `negatives` other candidates (one in five a random catalog item instead) are negatives (label 0).
 * Every example carries the two-tower score, whichever source found it, as serving computes it.
 */
export function sampleRankerExamples(options: {
  data: Interactions;
  train: Int32Array;
  /** Per-train-example user features (aligned with `train`), as used to train the two-tower. */
  userFeatures: Float32Array;
  params: TowerEnsemble;
  itemEmbeddings: Float32Array;
  /** Positions in `train` the positives are drawn from: events the two-tower did not train on. */
  from: Int32Array;
  positives: number;
  negatives: number;
  sources: OfflineCandidates;
  lookupOffsetMs: number;
  seed: number;
  /** Recent items (dense indexes, newest first) of each train position, and how they enter the retrieval query (historyQuery). */
  recentItems?: readonly Int32Array[];
  history?: HistoryQueryParams;
  /** Per-item retrieval bias (popularity prior, ADR 0077), part of the retrieval score. */
  itemBias?: Float32Array;
  /** Co-occurrence with the recent items, part of the retrieval score and a candidate source (ADR 0078). */
  coOccurrence?: CoOccurrenceTerm;
}): RankerExample[] {
  const { data, train, params, itemEmbeddings } = options;
  const rand = mulberry32(options.seed);
  const dim = ensembleDim(params);
  const numItems = data.itemIds.length;
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
  // Without replacement: the holdout is small (~10% of training events) and duplicates add nothing.
  const shuffled = Array.from(pool0);
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
  }
  const picks = shuffled.slice(0, Math.min(options.positives, shuffled.length));
  const feats = new Float32Array(picks.length * D_USER);
  picks.forEach((j, i) => feats.set(options.userFeatures.subarray(j * D_USER, (j + 1) * D_USER), i * D_USER));
  const userEmb = ensembleUserForward(
    params,
    Int32Array.from(picks, (j) => data.user[train[j]!]!),
    feats,
  );
  const out: RankerExample[] = [];
  const buf = scoreBuffers(numItems);
  const query = new Float32Array(dim);
  const none = new Int32Array(0);
  const cooc = options.coOccurrence;
  picks.forEach((j, i) => {
    const e = train[j]!;
    const u = data.user[e]!,
      atMs = data.timeMs[e]! - options.lookupOffsetMs;
    const recent = options.recentItems?.[j] ?? none;
    historyQuery(userEmb, i * dim, dim, itemEmbeddings, recent, options.history?.weight ?? 0, query, options.history?.decay);
    requestScores(itemEmbeddings, dim, query, options.itemBias, recent, cooc, buf);
    const seen = everSeen.get(u)!;
    const pos = data.item[e]!;
    // The positive is itself a training item: let the sources see it, like any item unseen at atMs.
    seen.delete(pos);
    const pool = options.sources.candidates(buf.tower, atMs, seen, cooc ? buf.cooc : undefined);
    seen.add(pos);
    // The ranker only ever sees retrieved items, so it learns only from them: a positive no source
    // would have retrieved is dropped, else "lower retrieval score = positive" is what it learns.
    if (pool.length < 2 || !pool.includes(pos)) return;
    out.push({ user: u, item: pos, atMs, label: 1, retrievalScore: retrievalScore(buf, cooc, pos) });
    for (let k = 0; k < options.negatives; k++) {
      let it = pool[Math.floor(rand() * pool.length)]!;
      // Random items keep the ranker sane on anything a source may hand it (serving has 4 sources).
      if (rand() < 0.2) it = Math.floor(rand() * numItems);
      // A random item must exist at the request, like every candidate (ADR 0076).
      if (it === pos || seen.has(it) || !options.sources.inCatalog(it, atMs)) continue;
      out.push({ user: u, item: it, atMs, label: 0, retrievalScore: retrievalScore(buf, cooc, it) });
    }
  });
  return out;
}

/** Retrieval alone: full-catalog two-tower scores (plus the item bias, if any) for the user's point-in-time vector and recent items. */
export function twoTowerRank(
  params: TowerEnsemble,
  itemEmbeddings: Float32Array,
  userVecs: ReadonlyMap<number, Float32Array>,
  recent: ReadonlyMap<number, Int32Array> = new Map(),
  history: HistoryQueryParams = { weight: 0, decay: 1 },
  itemBias?: Float32Array,
): RankFn {
  const dim = ensembleDim(params);
  const scores = new Float32Array(itemEmbeddings.length / dim);
  const query = new Float32Array(dim);
  const none = new Int32Array(0);
  return (u, _at, k, exclude) => {
    const emb = ensembleUserForward(params, Int32Array.of(u), userVecs.get(u)!);
    historyQuery(emb, 0, dim, itemEmbeddings, recent.get(u) ?? none, history.weight, query, history.decay);
    return topK(addBias(scoreAll(itemEmbeddings, dim, query, 0, scores), itemBias), k, exclude);
  };
}

/**
 * Picks how recent items enter the retrieval query (historyQuery: weight x decay grid) and, given a
 * popularity prior, its weight (ADR 0077), by the best mean NDCG@20 of retrieval alone on
 * validation requests; ties go to the earlier grid point.
 */
export function tuneHistoryQuery(options: {
  tower: TowerEnsemble;
  itemEmbeddings: Float32Array;
  requests: ReadonlyArray<{ user: number; vector: Float32Array; recent: Int32Array; exclude: ItemExclusion }>;
  relevant: ReadonlyMap<number, ReadonlySet<number>>;
  weights?: readonly number[];
  decays?: readonly number[];
  /** Per-item popularity prior at weight 1 (popularityPrior); absent: no prior, weight 0. */
  prior?: Float32Array;
  priorWeights?: readonly number[];
  /** Item-to-item co-occurrence with the recent items (coOccurrenceScores), tried at `coOccurrenceWeights`. */
  coOccurrence?: CoOccurrenceTable;
  coOccurrenceWeights?: readonly number[];
}): { best: HistoryQueryParams; popularityWeight: number; coOccurrenceWeight: number; ndcg: Map<string, number> } {
  const { tower, itemEmbeddings, requests } = options;
  const weights = options.weights ?? RECENT_WEIGHT_GRID;
  const decays = options.decays ?? RECENT_DECAY_GRID;
  const dim = ensembleDim(tower);
  const numItems = itemEmbeddings.length / dim;
  const prior = options.prior;
  const betas = prior ? (options.priorWeights ?? POPULARITY_WEIGHT_GRID) : [0];
  const cooc = options.coOccurrence;
  const gammas = cooc ? (options.coOccurrenceWeights ?? CO_OCCURRENCE_WEIGHT_GRID) : [0];
  // Weight 0 ignores the decay: it is scored once, under the first decay.
  const points = decays.flatMap((decay, d) =>
    weights
      .filter((w) => w > 0 || d === 0)
      .flatMap((weight) => betas.flatMap((beta) => gammas.map((gamma) => ({ weight, decay, beta, gamma })))),
  );
  const sums = new Float64Array(points.length);
  // The query is linear in the weight, so score = u.E + weight * (m.E) + beta * prior with m the
  // decayed mean of the recent items' embeddings: the catalog is scored once per decay, not once per grid point.
  const full = new Float64Array(numItems);
  // Scores of the items a request may rank only, packed in item order (allowedItems): every grid
  // point ranks them without an exclusion test, and ties still go to the lower item.
  const base = new Float64Array(numItems),
    recentScores = new Float64Array(numItems),
    priorScores = new Float64Array(numItems),
    scores = new Float64Array(numItems);
  const coocFull = new Float64Array(numItems),
    coocScores = new Float64Array(numItems);
  const zero = new Float32Array(dim),
    mean = new Float32Array(dim);
  const none = new Set<number>();
  for (const q of requests) {
    const allowed = allowedItems(q.exclude, numItems);
    const m = allowed.length;
    scoreAll(itemEmbeddings, dim, ensembleUserForward(tower, Int32Array.of(q.user), q.vector), 0, full);
    for (let a = 0; a < m; a++) base[a] = full[allowed[a]!]!;
    if (prior) for (let a = 0; a < m; a++) priorScores[a] = prior[allowed[a]!]!;
    if (cooc) {
      coOccurrenceScores(cooc, q.recent, coocFull);
      for (let a = 0; a < m; a++) coocScores[a] = coocFull[allowed[a]!]!;
    }
    const relevant = options.relevant.get(q.user) ?? none;
    const packed = scores.subarray(0, m);
    let decayDone = Number.NaN;
    points.forEach(({ weight, decay, beta, gamma }, k) => {
      if (decay !== decayDone) {
        historyQuery(zero, 0, dim, itemEmbeddings, q.recent, 1, mean, decay);
        scoreAll(itemEmbeddings, dim, mean, 0, full);
        for (let a = 0; a < m; a++) recentScores[a] = full[allowed[a]!]!;
        decayDone = decay;
      }
      if (prior && beta !== 0) for (let a = 0; a < m; a++) packed[a] = base[a]! + weight * recentScores[a]! + beta * priorScores[a]!;
      else for (let a = 0; a < m; a++) packed[a] = base[a]! + weight * recentScores[a]!;
      if (gamma !== 0) for (let a = 0; a < m; a++) packed[a] = packed[a]! + gamma * coocScores[a]!;
      const top = topK(packed, 20);
      for (let i = 0; i < top.length; i++) top[i] = allowed[top[i]!]!;
      sums[k] = sums[k]! + ndcgAtK(top, relevant, 20);
    });
  }
  const ndcg = new Map<string, number>();
  let best: HistoryQueryParams = { weight: 0, decay: 1 },
    popularityWeight = 0,
    coOccurrenceWeight = 0,
    bestV = -1;
  points.forEach(({ weight, decay, beta, gamma }, k) => {
    const v = sums[k]! / Math.max(1, requests.length);
    ndcg.set(`w${weight}/d${decay}${prior ? `/p${beta}` : ''}${cooc ? `/c${gamma}` : ''}`, v);
    if (v > bestV + 1e-12) {
      best = { weight, decay };
      popularityWeight = beta;
      coOccurrenceWeight = gamma;
      bestV = v;
    }
  });
  return { best, popularityWeight, coOccurrenceWeight, ndcg };
}

/**
 * The retrieval query in two passes (ADR 0077): the recent-items grid without the prior, then every
 * recent-items weight x prior weight at the decay the first pass chose. A sixth of the joint grid's
 * rankings; at seed 42 it picks what the joint grid picks under both protocols.
 */
export function tuneRetrievalQuery(options: Parameters<typeof tuneHistoryQuery>[0]): ReturnType<typeof tuneHistoryQuery> {
  const { prior, priorWeights, coOccurrence, coOccurrenceWeights, ...rest } = options;
  const first = tuneHistoryQuery(rest);
  if (!prior && !coOccurrence) return first;
  // Weight 0 at the chosen decay is the first pass's weight-0 point, so the second pass can only do better.
  const second = prior
    ? tuneHistoryQuery({ ...rest, prior, ...(priorWeights ? { priorWeights } : {}), decays: [first.best.decay] })
    : first;
  if (!coOccurrence) return { ...second, ndcg: new Map([...first.ndcg, ...second.ndcg]) };
  const third = tuneHistoryQuery({
    ...rest,
    decays: [second.best.decay],
    weights: [second.best.weight],
    ...(prior ? { prior, priorWeights: [second.popularityWeight] } : {}),
    coOccurrence,
    ...(coOccurrenceWeights ? { coOccurrenceWeights } : {}),
  });
  return { ...third, ndcg: new Map([...first.ndcg, ...second.ndcg, ...third.ndcg]) };
}

/** One request's candidates with the ranker's and the two-tower's scores, aligned. */
export interface ScoredRequest {
  user: number;
  items: Int32Array;
  ranker: Float32Array;
  retrieval: Float32Array;
}

/**
 * Two stages: the offline candidate sources retrieve items per request, then the DCN-V2 ranker
 * scores them. The ranker's inputs are read through the `ranker_v1` feature service as of each
 * request's time (the offline twin of the online lookup serving does), so item popularity and the
 * request context are those of that moment. `blendRank` turns the scores into orderings.
 */
export async function scoreTwoStage(options: {
  store: FeatureStore;
  data: Interactions;
  tower: TowerEnsemble;
  ranker: DcnParams;
  itemEmbeddings: Float32Array;
  genresOf: ItemGenreLookup;
  userVecs: ReadonlyMap<number, Float32Array>;
  requests: ReadonlyArray<{ user: number; atMs: number; exclude: ItemExclusion }>;
  sources: OfflineCandidates;
  /** Each user's recent items (dense indexes, newest first) and how they enter the retrieval query. */
  recent?: ReadonlyMap<number, Int32Array>;
  history?: HistoryQueryParams;
  /** Per-item retrieval bias (popularity prior, ADR 0077), part of the retrieval score. */
  itemBias?: Float32Array;
  /** Co-occurrence with the recent items, part of the retrieval score and a candidate source (ADR 0078). */
  coOccurrence?: CoOccurrenceTerm;
  /**
   * Score the candidates with the ranker (default true). At blend weight 0 the order is the
   * retrieval score's alone, so the ranker's features need not be read; its scores are then 0.
   */
  scoreRanker?: boolean;
}): Promise<ScoredRequest[]> {
  const { tower, itemEmbeddings, data } = options;
  const dim = ensembleDim(tower);
  const buf = scoreBuffers(itemEmbeddings.length / dim);
  const cooc = options.coOccurrence;
  const query = new Float32Array(dim);
  const none = new Int32Array(0);
  const examples: RankerExample[] = [];
  const out: ScoredRequest[] = [];
  for (const q of options.requests) {
    const emb = ensembleUserForward(tower, Int32Array.of(q.user), options.userVecs.get(q.user)!);
    const recent = options.recent?.get(q.user) ?? none;
    historyQuery(emb, 0, dim, itemEmbeddings, recent, options.history?.weight ?? 0, query, options.history?.decay);
    requestScores(itemEmbeddings, dim, query, options.itemBias, recent, cooc, buf);
    const items = options.sources.candidates(buf.tower, q.atMs, q.exclude, cooc ? buf.cooc : undefined);
    const retrieval = Float32Array.from(items, (it) => retrievalScore(buf, cooc, it));
    for (let i = 0; i < items.length; i++)
      examples.push({ user: q.user, item: items[i]!, atMs: q.atMs, label: 0, retrievalScore: retrieval[i]! });
    out.push({ user: q.user, items, ranker: new Float32Array(0), retrieval });
  }
  if (options.scoreRanker === false) {
    for (const r of out) r.ranker = new Float32Array(r.items.length);
    return out;
  }
  const x = await rankerTrainingSet(options.store, data, examples, options.genresOf);
  const p = rankerPredict(options.ranker, x.x, x.n);
  let o = 0;
  for (const r of out) {
    r.ranker = p.slice(o, o + r.items.length);
    o += r.items.length;
  }
  return out;
}

const zscore = (v: Float32Array, f: (x: number) => number = (x) => x): Float64Array => {
  const t = Float64Array.from(v, f);
  let m = 0,
    s = 0;
  for (const x of t) m += x;
  m /= Math.max(1, t.length);
  for (const x of t) s += (x - m) * (x - m);
  const sd = Math.sqrt(s / Math.max(1, t.length)) || 1;
  return t.map((x) => (x - m) / sd);
};
const logit = (p: number): number => {
  const q = Math.min(1 - 1e-6, Math.max(1e-6, p));
  return Math.log(q / (1 - q));
};

/**
 * Orders each request's candidates by w * z(ranker logit) + (1 - w) * z(two-tower score), z-scored
 * within the request: w = 1 is the ranker alone, w = 0 retrieval alone (ADR 0052 has the tuned w).
 */
export function blendRank(scored: readonly ScoredRequest[], weight: number): RankFn {
  const ordered = new Map<number, Int32Array>();
  for (const r of scored) {
    const zr = zscore(r.ranker, logit),
      zt = zscore(r.retrieval);
    const s = zr.map((z, i) => weight * z + (1 - weight) * zt[i]!);
    const order = Array.from({ length: r.items.length }, (_, i) => i).sort((a, b) => s[b]! - s[a]! || a - b);
    ordered.set(
      r.user,
      Int32Array.from(order, (i) => r.items[i]!),
    );
  }
  return (u, _at, k) => (ordered.get(u) ?? new Int32Array(0)).subarray(0, k);
}

/** Blend weights tried on the validation slice. */
export const BLEND_GRID = [0, 0.2, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1] as const;

/**
 * Picks the blend weight on validation requests (held-out events of the training period, never the
 * test set). 'best': the best mean NDCG@20, ties to the smaller weight. 'one-se' (default): that
 * weight only if its mean gain over weight 0 (retrieval alone) is more than one standard error of
 * the users' paired gains, else 0: on ~130 validation users the blend's near-ties are noise (ADR 0078).
 */
export function tuneBlend(
  scored: readonly ScoredRequest[],
  relevant: ReadonlyMap<number, ReadonlySet<number>>,
  grid: readonly number[] = BLEND_GRID,
  rule: 'best' | 'one-se' = 'one-se',
): { weight: number; ndcg: Map<number, number>; best: number; gain: number; gainSe: number } {
  const ndcg = new Map<number, number>();
  const perUser = new Map<number, Float64Array>();
  let best = grid[0] ?? 0,
    bestV = -1;
  for (const w of grid) {
    const rank = blendRank(scored, w);
    const each = Float64Array.from(scored, (r) => ndcgAtK(rank(r.user, 0, 20, new Set()), relevant.get(r.user) ?? new Set(), 20));
    perUser.set(w, each);
    const v = each.reduce((a, b) => a + b, 0) / Math.max(1, scored.length);
    ndcg.set(w, v);
    if (v > bestV + 1e-12) {
      best = w;
      bestV = v;
    }
  }
  const base = perUser.get(0);
  if (!base || best === 0) return { weight: best, ndcg, best, gain: 0, gainSe: 0 };
  const n = scored.length;
  const diff = Array.from(perUser.get(best)!, (v, i) => v - base[i]!);
  const gain = diff.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(diff.reduce((a, d) => a + (d - gain) * (d - gain), 0) / (n - 1)) : Number.POSITIVE_INFINITY;
  const gainSe = sd / Math.sqrt(n);
  return { weight: rule === 'best' || gain > gainSe ? best : 0, ndcg, best, gain, gainSe };
}

/** Item embeddings of the whole catalog snapshot. */
export function embedCatalog(params: TowerEnsemble, catalog: CatalogSnapshot): Float32Array {
  return ensembleItemForward(params, catalog.itemFeatures);
}
