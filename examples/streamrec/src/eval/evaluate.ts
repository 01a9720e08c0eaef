import { ndcgAtK, recallAtK, topK } from './metrics.js';
import type { Split } from './protocols.js';
import { mulberry32 } from '../nn/rng.js';
import { excludeAt, type ItemExclusion } from './catalog-at.js';

/** Something that ranks the full catalog for a user at a moment: returns the top `k` item indexes, best first. */
export type RankFn = (user: number, atMs: number, k: number, exclude: ItemExclusion) => Int32Array;

/** One row of the metrics table. */
export interface EvalResult {
  model: string;
  protocol: Split['protocol'];
  users: number;
  recall20: number;
  ndcg20: number;
  /** Recall@500, reported for retrieval models (the ranker's ceiling). */
  recall500?: number;
  /** NDCG@20 of each evaluated user, in the split's test order (for paired comparisons; not serialized). */
  perUserNdcg20?: Float64Array;
}

/**
 * Full-ranking evaluation: for every evaluated user, ranks all catalog items except the ones seen
 * in training and, when the split knows when items entered the catalog, the ones not yet in it at
 * the request (ADR 0076); averages Recall@20 and NDCG@20 (and Recall@500 when asked) over users.
 */
export function evaluate(
  model: string,
  split: Split,
  seen: ReadonlyMap<number, ReadonlySet<number>>,
  rank: RankFn,
  options: { recall500?: boolean } = {},
): EvalResult {
  const k = options.recall500 ? 500 : 20;
  let r20 = 0,
    n20 = 0,
    r500 = 0,
    users = 0;
  const empty = new Set<number>();
  const perUser = new Float64Array(split.test.size);
  for (const [u, relevant] of split.test) {
    const at = split.evalTimeMs.get(u)!;
    const own = seen.get(u) ?? empty;
    const ranked = rank(u, at, k, split.itemFirstSeenMs ? excludeAt(split.itemFirstSeenMs, at, own) : own);
    r20 += recallAtK(ranked, relevant, 20);
    const nd = ndcgAtK(ranked, relevant, 20);
    perUser[users] = nd;
    n20 += nd;
    if (options.recall500) r500 += recallAtK(ranked, relevant, 500);
    users++;
  }
  const d = Math.max(1, users);
  const out: EvalResult = {
    model,
    protocol: split.protocol,
    users,
    recall20: r20 / d,
    ndcg20: n20 / d,
    ...(options.recall500 ? { recall500: r500 / d } : {}),
  };
  // Not enumerable: the results table goes into model manifests as JSON.
  Object.defineProperty(out, 'perUserNdcg20', { value: perUser, enumerable: false });
  return out;
}

/**
 * Paired bootstrap over users (seeded): the mean NDCG@20 difference a - b and its 95% interval,
 * and the ratio a / b with its interval. Both results must come from the same split.
 */
export function pairedBootstrap(
  a: EvalResult,
  b: EvalResult,
  options: { iterations?: number; seed?: number } = {},
): { diff: number; diffLo: number; diffHi: number; ratio: number; ratioLo: number; ratioHi: number } {
  const x = a.perUserNdcg20,
    y = b.perUserNdcg20;
  if (!x || !y || x.length !== y.length || x.length === 0)
    throw new Error(`pairedBootstrap: ${a.model} and ${b.model} have no per-user NDCG of one split`);
  const n = x.length;
  const iters = options.iterations ?? 2000;
  const rand = mulberry32(options.seed ?? 7);
  const diffs = new Float64Array(iters),
    ratios = new Float64Array(iters);
  for (let it = 0; it < iters; it++) {
    let sa = 0,
      sb = 0;
    for (let i = 0; i < n; i++) {
      const j = Math.floor(rand() * n);
      sa += x[j]!;
      sb += y[j]!;
    }
    diffs[it] = (sa - sb) / n;
    ratios[it] = sb > 0 ? sa / sb : Number.POSITIVE_INFINITY;
  }
  diffs.sort();
  ratios.sort();
  const q = (v: Float64Array, p: number): number => v[Math.min(iters - 1, Math.floor(p * iters))]!;
  return {
    diff: a.ndcg20 - b.ndcg20,
    diffLo: q(diffs, 0.025),
    diffHi: q(diffs, 0.975),
    ratio: a.ndcg20 / b.ndcg20,
    ratioLo: q(ratios, 0.025),
    ratioHi: q(ratios, 0.975),
  };
}

/** The targets' comparisons for each protocol: the two-stage system against each baseline, with paired 95% intervals. */
export function formatComparisons(results: readonly EvalResult[], model = 'two_tower+dcn_v2'): string {
  const lines: string[] = [];
  for (const protocol of [...new Set(results.map((r) => r.protocol))]) {
    const mine = results.find((r) => r.protocol === protocol && r.model === model);
    if (!mine) continue;
    for (const base of COMPARED_BASELINES) {
      const other = results.find((r) => r.protocol === protocol && r.model === base);
      if (!other) continue;
      const c = pairedBootstrap(mine, other);
      lines.push(
        `${protocol.padEnd(18)} ${model} vs ${base.padEnd(21)} NDCG@20 ${c.diff >= 0 ? '+' : ''}${c.diff.toFixed(4)} ` +
          `(95% CI ${c.diffLo.toFixed(4)} .. ${c.diffHi.toFixed(4)}), ` +
          `ratio ${c.ratio.toFixed(2)}x (${c.ratioLo.toFixed(2)} .. ${c.ratioHi.toFixed(2)}), ${mine.users} users`,
      );
    }
  }
  return lines.join('\n');
}

/** What the two-stage system is compared with, in the order printed: retrieval alone first (the ranker's gain), then the baselines. */
export const COMPARED_BASELINES = [
  'two_tower',
  'ease',
  'item_knn',
  'pure_svd',
  'bpr_mf',
  'popularity_recent',
  'popularity_recent_30d',
  'popularity_all_time',
] as const;

/** Adapts a full-catalog score function into a RankFn. */
export function rankByScores(score: (user: number, atMs: number) => Float32Array): RankFn {
  return (u, at, k, exclude) => topK(score(u, at), k, exclude);
}

/** Formats results as a fixed-width table, one row per model and protocol. */
export function formatTable(results: readonly EvalResult[]): string {
  const head = ['protocol', 'model', 'users', 'Recall@20', 'NDCG@20', 'Recall@500'];
  const rows = results.map((r) => [
    r.protocol,
    r.model,
    String(r.users),
    r.recall20.toFixed(4),
    r.ndcg20.toFixed(4),
    r.recall500 === undefined ? '' : r.recall500.toFixed(4),
  ]);
  const all = [head, ...rows];
  const widths = head.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  return all.map((r) => r.map((c, i) => (i >= 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ')).join('\n');
}
