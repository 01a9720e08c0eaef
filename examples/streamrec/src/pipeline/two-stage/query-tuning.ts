import { ndcgAtK, topK } from '../../eval/metrics.js';
import { allowedItems, type ItemExclusion } from '../../eval/catalog-at.js';
import { windowOfKey } from '../../eval/validation.js';
import { ensembleDim, ensembleUserForward, type TowerEnsemble } from '../../models/index.js';
import { scoreAll } from '../../nn/matvec.js';
import {
  CO_OCCURRENCE_WEIGHT_GRID,
  coOccurrenceScores,
  historyQuery,
  POPULARITY_WEIGHT_GRID,
  RECENT_DECAY_GRID,
  RECENT_WEIGHT_GRID,
  type DenseCoOccurrence,
  type HistoryQueryParams,
} from '../../retrieval/index.js';

/** One point of the retrieval-query grid, with its mean NDCG@20 on the validation requests. */
export interface QueryGridPoint {
  /** Recent-items weight and decay of the query (historyQuery). */
  weight: number;
  decay: number;
  /** Weight of the popularity prior; absent when the pass tried no prior. */
  popularityWeight?: number;
  /** Share of recent training events the prior counts; absent: all of them (1). */
  popularityShare?: number;
  /** Weight of the co-occurrence term; absent when the pass tried no co-occurrence. */
  coOccurrenceWeight?: number;
  ndcg: number;
}

/** The query a tuning chose, and every grid point it scored, in the order scored. */
export interface QueryTuneResult {
  best: HistoryQueryParams;
  popularityWeight: number;
  /** Share of the most recent training events the chosen prior counts (1: all of them; POPULARITY_SHARE_GRID). */
  popularityShare: number;
  coOccurrenceWeight: number;
  grid: QueryGridPoint[];
}

/** A grid point as the pipeline logs it, e.g. 'w2/d0.5/p0.75/c0.4' (no 'p' or 'c' part for a term the pass left out). */
export function gridLabel(p: QueryGridPoint): string {
  const share = p.popularityShare === undefined || p.popularityShare === 1 ? '' : `s${p.popularityShare}`;
  const prior = p.popularityWeight === undefined ? '' : `/p${p.popularityWeight}${share}`;
  const cooc = p.coOccurrenceWeight === undefined ? '' : `/c${p.coOccurrenceWeight}`;
  return `w${p.weight}/d${p.decay}${prior}${cooc}`;
}

/**
 * Picks how recent items enter the retrieval query (historyQuery: weight x decay grid) and, given a
 * popularity prior, its weight (ADR 0077), by the best mean NDCG@20 of retrieval alone on
 * validation requests; ties go to the earlier grid point.
 */
export function tuneHistoryQuery(options: {
  tower: TowerEnsemble;
  itemEmbeddings: Float32Array;
  /** Requests keyed by `key` in `relevant` (default: the user); a key's window (windowOfKey) picks its prior. */
  requests: ReadonlyArray<{ user: number; key?: number; vector: Float32Array; recent: Int32Array; exclude: ItemExclusion }>;
  relevant: ReadonlyMap<number, ReadonlySet<number>>;
  weights?: readonly number[];
  decays?: readonly number[];
  /**
   * Per-item popularity prior at weight 1 (popularityPrior); absent: no prior, weight 0. One per
   * validation window (indexed by the request key's window), each counted before its window starts.
   */
  prior?: Float32Array | readonly Float32Array[];
  /** Recorded on the grid points: the share of recent training events `prior` counts. */
  priorShare?: number;
  priorWeights?: readonly number[];
  /** Item-to-item co-occurrence with the recent items (coOccurrenceScores), tried at `coOccurrenceWeights`. */
  coOccurrence?: DenseCoOccurrence;
  coOccurrenceWeights?: readonly number[];
}): QueryTuneResult {
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
    const key = q.key ?? q.user;
    const pr = prior instanceof Float32Array ? prior : prior?.[Math.min(prior.length - 1, windowOfKey(key))];
    if (pr) for (let a = 0; a < m; a++) priorScores[a] = pr[allowed[a]!]!;
    if (cooc) {
      coOccurrenceScores(cooc, q.recent, coocFull);
      for (let a = 0; a < m; a++) coocScores[a] = coocFull[allowed[a]!]!;
    }
    const relevant = options.relevant.get(key) ?? none;
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
  const grid: QueryGridPoint[] = [];
  let best: HistoryQueryParams = { weight: 0, decay: 1 },
    popularityWeight = 0,
    coOccurrenceWeight = 0,
    bestV = -1;
  points.forEach(({ weight, decay, beta, gamma }, k) => {
    const v = sums[k]! / Math.max(1, requests.length);
    const share = prior && options.priorShare !== undefined && options.priorShare !== 1 ? { popularityShare: options.priorShare } : {};
    grid.push({
      weight,
      decay,
      ...(prior ? { popularityWeight: beta, ...share } : {}),
      ...(cooc ? { coOccurrenceWeight: gamma } : {}),
      ndcg: v,
    });
    if (v > bestV + 1e-12) {
      best = { weight, decay };
      popularityWeight = beta;
      coOccurrenceWeight = gamma;
      bestV = v;
    }
  });
  return { best, popularityWeight, popularityShare: prior ? (options.priorShare ?? 1) : 1, coOccurrenceWeight, grid };
}

/**
 * The retrieval query in passes (ADR 0077): the recent-items grid without the prior, then every
 * recent-items weight x prior weight at the decay the first pass chose (a sixth of the joint grid's
 * rankings; at seed 42 it picks what the joint grid picks under both protocols), then, given
 * `recentPriors` (the prior counting only the most recent share of training events), each share's
 * prior weights at the recent-items query chosen so far, the best of all kept (ties to the
 * all-events prior, tried first), then, given a co-occurrence table, its weights at the query
 * chosen so far (ADR 0078). The grid holds every pass's points.
 */
export function tuneRetrievalQuery(
  options: Parameters<typeof tuneHistoryQuery>[0] & {
    recentPriors?: ReadonlyArray<{ share: number; prior: Float32Array | readonly Float32Array[] }>;
  },
): QueryTuneResult {
  const { prior, priorWeights, coOccurrence, coOccurrenceWeights, recentPriors, priorShare: _share, ...rest } = options;
  const first = tuneHistoryQuery(rest);
  if (!prior && !coOccurrence) return first;
  // Weight 0 at the chosen decay is the first pass's weight-0 point, so the second pass can only do better.
  const second0 = prior
    ? tuneHistoryQuery({ ...rest, prior, ...(priorWeights ? { priorWeights } : {}), decays: [first.best.decay] })
    : first;
  let second = second0;
  let before = second0 === first ? first.grid : [...first.grid, ...second0.grid];
  const bestOf = (r: QueryTuneResult): number => Math.max(...r.grid.map((g) => g.ndcg));
  if (prior)
    for (const { share, prior: p } of recentPriors ?? []) {
      if (share === 1) continue;
      const r = tuneHistoryQuery({
        ...rest,
        decays: [second0.best.decay],
        weights: [second0.best.weight],
        prior: p,
        priorShare: share,
        ...(priorWeights ? { priorWeights } : {}),
      });
      before = [...before, ...r.grid];
      if (bestOf(r) > bestOf(second) + 1e-12) second = r;
    }
  if (!coOccurrence) return { ...second, grid: before };
  const chosenPrior = second.popularityShare === 1 ? prior : recentPriors?.find((x) => x.share === second.popularityShare)?.prior;
  const third = tuneHistoryQuery({
    ...rest,
    decays: [second.best.decay],
    weights: [second.best.weight],
    ...(chosenPrior ? { prior: chosenPrior, priorShare: second.popularityShare, priorWeights: [second.popularityWeight] } : {}),
    coOccurrence,
    ...(coOccurrenceWeights ? { coOccurrenceWeights } : {}),
  });
  return { ...third, grid: [...before, ...third.grid] };
}
