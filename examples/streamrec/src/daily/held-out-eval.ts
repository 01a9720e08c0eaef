import { ExactItemIndex } from '@frec/model-serving/item-index';
import { ndcgAtK, recallAtK } from '../eval/metrics.js';
import { loadProductionModels } from '../serve/load-models.js';
import type { MovieLensSnapshot } from '../serve/movielens-snapshot.js';
import { buildStreamRec } from '../serve/streamrec-recommender.js';
import { DEFAULT_METRIC_TOLERANCE } from '../rollout/index.js';
import type { HeldOutFigures } from './day-state.js';

/** One held-out request: a user of the day with a history before it; the truth is what they rated that day for the first time. */
export interface HeldOutCase {
  user: number;
  truth: Set<number>;
}

/** A registered model pair, as the recommender serves it. */
export interface ModelPair {
  twoTower: number;
  ranker: number;
}

/** Per-request figures of one model pair on the held-out cases, in the cases' order. */
export interface HeldOutScores {
  ndcg20: Float64Array;
  recall20: Float64Array;
}

/** Both pairs on the same cases: the paired comparison the gate's offline check reads. */
export type PairedHeldOut = HeldOutFigures;

/** Fewer held-out requests than this: the paired differences give no standard error worth a decision. */
export const MIN_PAIRED_REQUESTS = 3;

/**
 * The day's held-out requests: each user active on the day who rated something before it, with
 * the items first rated on the day as the truth (`before` holds the events up to the day's start,
 * `through` those up to its end).
 */
export function heldOutCases(before: MovieLensSnapshot, through: MovieLensSnapshot, users: readonly number[]): HeldOutCase[] {
  const out: HeldOutCase[] = [];
  for (const user of users) {
    const seen = new Set(before.histories.get(user)?.items ?? []);
    if (seen.size === 0) continue;
    const truth = new Set((through.histories.get(user)?.items ?? []).filter((m) => !seen.has(m)));
    if (truth.size > 0) out.push({ user, truth });
  }
  return out;
}

/**
 * Ranks the cases through StreamRec's request path with one registered pair, on the data up to the
 * day's start (`beforeDir`): nothing of the day is in a user's history or features. Exact inner
 * product retrieval, so the figure does not depend on how an ANN index happened to be built.
 */
export async function scoreHeldOut(options: {
  beforeDir: string;
  repoPath: string;
  registry: string;
  pair: ModelPair;
  cases: readonly HeldOutCase[];
}): Promise<HeldOutScores> {
  const models = await loadProductionModels({ registry: options.registry, versions: options.pair });
  const rec = await buildStreamRec({
    dataDir: options.beforeDir,
    models,
    repoPath: options.repoPath,
    index: (ids, vectors, dim) => ExactItemIndex.fromVectors(ids, vectors, dim, 'ip'),
    budgets: { features: 10_000, retrieval: 10_000, ranking: 10_000, total: 40_000 },
  });
  try {
    const ndcg20 = new Float64Array(options.cases.length);
    const recall20 = new Float64Array(options.cases.length);
    for (const [i, c] of options.cases.entries()) {
      const res = await rec.recommender.recommend({ userId: c.user, count: 20 });
      const ranked = res.items.map((x) => Number(x.itemId));
      ndcg20[i] = ndcgAtK(ranked, c.truth, 20);
      recall20[i] = recallAtK(ranked, c.truth, 20);
    }
    return { ndcg20, recall20 };
  } finally {
    await rec.close();
  }
}

/**
 * The loss a candidate may show against production on the same requests: two standard errors of
 * the mean per-request difference (what pairing noise explains about 95% of the time), never less
 * than the gate's same-slice DEFAULT_METRIC_TOLERANCE. Below MIN_PAIRED_REQUESTS requests it is 1
 * (the whole metric range): too few to tell, so the check cannot refuse.
 */
export function pairedTolerance(candidate: Float64Array, production: Float64Array, floor = DEFAULT_METRIC_TOLERANCE): number {
  const n = candidate.length;
  if (n < MIN_PAIRED_REQUESTS) return 1;
  const d = Array.from(candidate, (c, i) => c - production[i]!);
  const mean = d.reduce((s, x) => s + x, 0) / n;
  const variance = d.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1);
  return Math.max(floor, 2 * Math.sqrt(variance / n));
}

/** Candidate and production on the same held-out cases, with the tolerance of each metric (a fixed one when given). */
export async function pairedHeldOut(options: {
  beforeDir: string;
  repoPath: string;
  registry: string;
  candidate: ModelPair;
  production: ModelPair;
  cases: readonly HeldOutCase[];
  fixedTolerance?: number;
}): Promise<PairedHeldOut> {
  const base = { beforeDir: options.beforeDir, repoPath: options.repoPath, registry: options.registry, cases: options.cases };
  const cand = await scoreHeldOut({ ...base, pair: options.candidate });
  const prod = await scoreHeldOut({ ...base, pair: options.production });
  const mean = (v: Float64Array) => (v.length ? v.reduce((s, x) => s + x, 0) / v.length : 0);
  const tol = (a: Float64Array, b: Float64Array) => options.fixedTolerance ?? pairedTolerance(a, b);
  return {
    users: options.cases.length,
    candidate: { ndcg20: mean(cand.ndcg20), recall20: mean(cand.recall20) },
    production: { ndcg20: mean(prod.ndcg20), recall20: mean(prod.recall20) },
    tolerance: { ndcg20: tol(cand.ndcg20, prod.ndcg20), recall20: tol(cand.recall20, prod.recall20) },
  };
}
