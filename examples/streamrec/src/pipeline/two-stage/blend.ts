import type { RankFn } from '../../eval/evaluate.js';
import { ndcgAtK } from '../../eval/metrics.js';
import { userOfKey } from '../../eval/validation.js';
import type { ScoredRequest } from './score-two-stage.js';

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

/** One blend weight tried on validation, with its mean NDCG@20. */
export interface BlendGridPoint {
  weight: number;
  ndcg: number;
}

/** The blend weight chosen, the best one on validation and its gain over retrieval alone. */
export interface BlendTuneResult {
  /** The weight used: `best` if its gain over weight 0 exceeds one standard error, else 0. */
  weight: number;
  /** The weight with the best mean NDCG@20, ties to the smaller weight. */
  best: number;
  /** Mean paired gain of `best` over weight 0 across the validation users, and its standard error. */
  gain: number;
  gainSe: number;
  grid: BlendGridPoint[];
}

/**
 * The mean of paired per-request gains and its standard error with requests clustered by user: a
 * user asking in several validation windows is one draw, not several (their gains are averaged
 * first), so pooling windows does not shrink the error by counting a user twice. One request per
 * user: the plain standard error of the mean.
 */
export function clusteredGain(users: readonly number[], diff: readonly number[]): { gain: number; gainSe: number } {
  const n = diff.length;
  const gain = diff.reduce((a, b) => a + b, 0) / Math.max(1, n);
  const sums = new Map<number, { s: number; c: number }>();
  users.forEach((u, i) => {
    const t = sums.get(u) ?? { s: 0, c: 0 };
    t.s += diff[i]!;
    t.c += 1;
    sums.set(u, t);
  });
  const g = sums.size;
  if (g < 2) return { gain, gainSe: Number.POSITIVE_INFINITY };
  // Cluster-robust variance of the request mean: sum over users of (their gains - count x mean)^2.
  let v = 0;
  for (const { s, c } of sums.values()) v += (s - c * gain) * (s - c * gain);
  return { gain, gainSe: Math.sqrt((v * g) / (g - 1)) / n };
}

/**
 * Picks the blend weight on validation requests (held-out events of the training period, never the
 * test set): the weight with the best mean NDCG@20 only if its mean gain over weight 0 (retrieval
 * alone) is more than one standard error of the users' paired gains, else 0: on ~130 validation
 * users the blend's near-ties are noise (ADR 0078).
 */
export function tuneBlend(
  scored: readonly ScoredRequest[],
  relevant: ReadonlyMap<number, ReadonlySet<number>>,
  weights: readonly number[] = BLEND_GRID,
): BlendTuneResult {
  const grid: BlendGridPoint[] = [];
  const perUser = new Map<number, Float64Array>();
  let best = weights[0] ?? 0,
    bestV = -1;
  for (const w of weights) {
    const rank = blendRank(scored, w);
    const each = Float64Array.from(scored, (r) => ndcgAtK(rank(r.user, 0, 20, new Set()), relevant.get(r.user) ?? new Set(), 20));
    perUser.set(w, each);
    const v = each.reduce((a, b) => a + b, 0) / Math.max(1, scored.length);
    grid.push({ weight: w, ndcg: v });
    if (v > bestV + 1e-12) {
      best = w;
      bestV = v;
    }
  }
  const base = perUser.get(0);
  if (!base || best === 0) return { weight: best, best, gain: 0, gainSe: 0, grid };
  const { gain, gainSe } = clusteredGain(
    scored.map((r) => userOfKey(r.user)),
    Array.from(perUser.get(best)!, (v, i) => v - base[i]!),
  );
  return { weight: gain > gainSe ? best : 0, best, gain, gainSe, grid };
}
