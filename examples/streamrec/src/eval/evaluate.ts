import { ndcgAtK, recallAtK, topK } from './metrics.js';
import type { Split } from './protocols.js';

/** Something that ranks the full catalog for a user at a moment: returns the top `k` item indexes, best first. */
export type RankFn = (user: number, atMs: number, k: number, exclude: ReadonlySet<number>) => Int32Array;

/** One row of the metrics table. */
export interface EvalResult {
  model: string;
  protocol: Split['protocol'];
  users: number;
  recall20: number;
  ndcg20: number;
  /** Recall@500, reported for retrieval models (the ranker's ceiling). */
  recall500?: number;
}

/**
 * Full-ranking evaluation: for every evaluated user, ranks all catalog items except the ones seen
 * in training, and averages Recall@20 and NDCG@20 (and Recall@500 when asked) over users.
 */
export function evaluate(
  model: string,
  split: Split,
  seen: ReadonlyMap<number, ReadonlySet<number>>,
  rank: RankFn,
  options: { recall500?: boolean } = {},
): EvalResult {
  const k = options.recall500 ? 500 : 20;
  let r20 = 0, n20 = 0, r500 = 0, users = 0;
  const empty = new Set<number>();
  for (const [u, relevant] of split.test) {
    const ranked = rank(u, split.evalTimeMs.get(u)!, k, seen.get(u) ?? empty);
    r20 += recallAtK(ranked, relevant, 20);
    n20 += ndcgAtK(ranked, relevant, 20);
    if (options.recall500) r500 += recallAtK(ranked, relevant, 500);
    users++;
  }
  const d = Math.max(1, users);
  return { model, protocol: split.protocol, users, recall20: r20 / d, ndcg20: n20 / d, ...(options.recall500 ? { recall500: r500 / d } : {}) };
}

/** Adapts a full-catalog score function into a RankFn. */
export function rankByScores(score: (user: number, atMs: number) => Float32Array): RankFn {
  return (u, at, k, exclude) => topK(score(u, at), k, exclude);
}

/** Formats results as a fixed-width table, one row per model and protocol. */
export function formatTable(results: readonly EvalResult[]): string {
  const head = ['protocol', 'model', 'users', 'Recall@20', 'NDCG@20', 'Recall@500'];
  const rows = results.map((r) => [r.protocol, r.model, String(r.users), r.recall20.toFixed(4), r.ndcg20.toFixed(4), r.recall500 === undefined ? '' : r.recall500.toFixed(4)]);
  const all = [head, ...rows];
  const widths = head.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  return all.map((r) => r.map((c, i) => (i >= 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ')).join('\n');
}
