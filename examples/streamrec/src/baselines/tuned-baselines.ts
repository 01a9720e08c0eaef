import type { Interactions } from '../data/interactions.js';
import { evaluate, rankByScores, type EvalResult, type RankFn } from '../eval/evaluate.js';
import { innerSplit } from '../eval/inner-split.js';
import { seenItems, type Split } from '../eval/protocols.js';
import { EASE_LAMBDA_GRID, easeInputs, easeScorer, fitEase } from './ease.js';
import { fitItemKnn, ITEM_KNN_NEIGHBOURS_GRID, itemKnnScorer } from './item-knn.js';
import { recentPopularity } from './popularity.js';
import { fitPureSvd, PURE_SVD_FACTORS_GRID, pureSvdScorer } from './pure-svd.js';
import { userItemLists } from './user-items.js';

/**
 * A classical baseline with one hyper-parameter: `prepare` does the work every grid value shares
 * on some training events, and returns how to rank with one value.
 */
export interface TunedBaseline {
  model: string;
  /** What the hyper-parameter is, for the log line. */
  param: string;
  grid: readonly number[];
  /**
   * Chosen on every validation window pooled (the global split's several windows) rather than the
   * last one alone: set where a fit per window is cheap (counting), left out where the fit is a
   * cubic solve or an SVD per window (EASE, PureSVD) or a dense similarity (ItemKNN).
   */
  pooledWindows?: boolean;
  prepare(data: Interactions, train: Int32Array, seed: number): (value: number) => RankFn;
}

/** Share of training events (the most recent ones) whose item counts make the recent-popularity list. */
export const RECENT_SHARE_GRID = [0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1] as const;

const DAY_MS = 86_400_000;

/** Ranks by the user's training items (the same for every request of the user). */
function byUserItems(data: Interactions, train: Int32Array, scorer: (items: Int32Array) => Float32Array): RankFn {
  const lists = userItemLists(data, train);
  return rankByScores((u) => scorer(lists[u] ?? new Int32Array(0)));
}

/** The classical baselines of the metrics table, each tuned on the inner validation split (innerSplit). */
export const TUNED_BASELINES: readonly TunedBaseline[] = [
  {
    model: 'popularity_recent',
    param: 'share of training events',
    grid: RECENT_SHARE_GRID,
    pooledWindows: true,
    prepare(data, train) {
      return (share) => {
        // The window is the time the last `share` of training events span, counted back from each request.
        const from = data.timeMs[train[Math.max(0, Math.floor(train.length * (1 - share)))] ?? 0]!;
        const to = data.timeMs[train[train.length - 1] ?? 0]!;
        const windowDays = share >= 1 ? Number.POSITIVE_INFINITY : Math.max(1, to - from) / DAY_MS;
        const cache = new Map<number, Float32Array>();
        return rankByScores((_u, at) => {
          let r = cache.get(at);
          if (!r) {
            if (cache.size > 64) cache.clear();
            cache.set(at, (r = recentPopularity(data, train, at, windowDays)));
          }
          return r;
        });
      };
    },
  },
  {
    model: 'ease',
    param: 'lambda',
    grid: EASE_LAMBDA_GRID,
    prepare(data, train) {
      const inputs = easeInputs(data, train);
      return (lambda) => byUserItems(data, train, easeScorer(fitEase(inputs, lambda), data.itemIds.length));
    },
  },
  {
    model: 'item_knn',
    param: 'neighbours',
    grid: ITEM_KNN_NEIGHBOURS_GRID,
    prepare(data, train) {
      const inputs = easeInputs(data, train);
      return (k) => byUserItems(data, train, itemKnnScorer(fitItemKnn(inputs, k), data.itemIds.length));
    },
  },
  {
    model: 'pure_svd',
    param: 'factors',
    grid: PURE_SVD_FACTORS_GRID,
    prepare(data, train, seed) {
      const lists = userItemLists(data, train);
      const model = fitPureSvd(lists, data.itemIds.length, Math.max(...PURE_SVD_FACTORS_GRID), seed);
      return (f) => byUserItems(data, train, pureSvdScorer(model, f));
    },
  },
];

/** One baseline's tuning: the grid's validation NDCG@20 and the value chosen. */
export interface BaselineTuning {
  model: string;
  param: string;
  chosen: number;
  grid: Array<{ value: number; ndcg: number }>;
  validationUsers: number;
  /** Validation windows pooled (1: one inner split). */
  windows: number;
}

/**
 * Chooses the baseline's value on the split's inner validation split, or on several validation
 * windows with their requests pooled (best mean NDCG@20 over every request, ties to the earlier
 * grid value), refits on all the split's training events and evaluates on its test. The rule runs
 * unchanged on any MovieLens-format data set: no value is read off a test figure.
 */
export function tuneAndEvaluate(
  b: TunedBaseline,
  data: Interactions,
  split: Split,
  seen: ReadonlyMap<number, ReadonlySet<number>>,
  seed: number,
  validation: Split | readonly Split[] = innerSplit(data, split),
): { result: EvalResult; tuning: BaselineTuning } {
  const windows = Array.isArray(validation) ? (validation as readonly Split[]) : [validation as Split];
  const sums = new Float64Array(b.grid.length);
  let requests = 0;
  for (const v of windows) {
    const valSeen = seenItems(data, v);
    const atValue = b.prepare(data, v.train, seed);
    b.grid.forEach((value, k) => (sums[k] = sums[k]! + evaluate(b.model, v, valSeen, atValue(value)).ndcg20 * v.test.size));
    requests += v.test.size;
  }
  const grid = b.grid.map((value, k) => ({ value, ndcg: sums[k]! / Math.max(1, requests) }));
  let chosen = grid[0]!;
  for (const g of grid) if (g.ndcg > chosen.ndcg + 1e-12) chosen = g;
  const result = evaluate(b.model, split, seen, b.prepare(data, split.train, seed)(chosen.value));
  const tuning = { model: b.model, param: b.param, chosen: chosen.value, grid, validationUsers: requests, windows: windows.length };
  return { result, tuning };
}

/** A tuning as one log line. */
export function describeBaselineTuning(t: BaselineTuning): string {
  const grid = t.grid.map((g) => `${g.value}:${g.ndcg.toFixed(4)}`).join(' ');
  const where =
    t.windows > 1 ? `${t.validationUsers} validation requests in ${t.windows} windows` : `${t.validationUsers} validation users`;
  return `${t.model} ${t.param} ${t.chosen} on ${where} (NDCG@20 ${grid})`;
}
