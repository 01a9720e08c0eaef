import type { Interactions } from '../data/interactions.js';
import { mulberry32 } from '../nn/rng.js';
import { itemFirstSeenMs } from './catalog-at.js';
import type { EvalResult } from './evaluate.js';
import { windowSplit } from './inner-split.js';
import type { Split } from './protocols.js';

/** One origin of a rolling-origin evaluation: train on the past, test on the next window; tune on the window before the cutoff. */
export interface RollingOrigin {
  index: number;
  cutoffMs: number;
  endMs: number;
  /** Events before the cutoff train; the window [cutoffMs, endMs) tests. */
  test: Split;
  /** The window just before the cutoff, trained on the events before it: every hyper-parameter is chosen here. */
  validation: Split;
}

/**
 * `origins` consecutive global cutoffs over the last origins x `window` of the events (by count):
 * origin k tests on its own window of `window` of all events and trains on everything before it,
 * so no origin's test events are in its training or validation data (Tashman 2000).
 */
export function rollingOrigins(data: Interactions, options: { origins?: number; window?: number } = {}): RollingOrigin[] {
  const origins = options.origins ?? 4;
  const window = options.window ?? 0.05;
  if (!(origins >= 1) || !(window > 0) || origins * window >= 0.9)
    throw new Error(
      `rollingOrigins: ${origins} origins of ${window} of the events leave too little training data (keep origins x window under 0.9)`,
    );
  const all = Int32Array.from({ length: data.n }, (_, i) => i);
  const like = { itemFirstSeenMs: itemFirstSeenMs(data) };
  const at = (share: number): number => data.timeMs[Math.min(data.n - 1, Math.floor(data.n * share))]!;
  return Array.from({ length: origins }, (_, k) => {
    const start = 1 - (origins - k) * window;
    const cutoffMs = at(start);
    const endMs = k === origins - 1 ? Number.POSITIVE_INFINITY : at(start + window);
    const test = windowSplit(data, all, cutoffMs, endMs, like);
    const validation = windowSplit(data, test.train, at(start - window), cutoffMs, like);
    return { index: k, cutoffMs, endMs, test, validation };
  });
}

/** A model's figures over the origins: each origin's NDCG@20 and users, their mean and a 95% interval. */
export interface RollingSummary {
  model: string;
  perOrigin: Array<{ ndcg20: number; users: number }>;
  /** Mean over the origins of each origin's mean NDCG@20 (each cutoff counts the same). */
  mean: number;
  lo: number;
  hi: number;
}

/**
 * Pooled over origins: every origin's users (a user in several origins counts once per origin) as
 * one sample, its mean NDCG@20 (each user counts the same, not each cutoff) and a 95% interval from
 * resampling that pool; `paired` gives the difference a - b. With ~20 users per cutoff, the pool is
 * what has the users to separate two models.
 */
export function pooledRolling(
  runs: ReadonlyArray<EvalResult>,
  options: { paired?: ReadonlyArray<EvalResult>; iterations?: number; seed?: number } = {},
): { mean: number; lo: number; hi: number; users: number } {
  const pool: number[] = [];
  runs.forEach((r, k) => {
    const x = r.perUserNdcg20 ?? new Float64Array(0);
    const y = options.paired?.[k]?.perUserNdcg20;
    if (options.paired && (!y || y.length !== x.length)) throw new Error(`pooledRolling: origin ${k} has no paired per-user figures`);
    x.forEach((v, i) => pool.push(y ? v - y[i]! : v));
  });
  const iters = options.iterations ?? 2000;
  const rand = mulberry32(options.seed ?? 7);
  const n = pool.length;
  const mean = n ? pool.reduce((a, b) => a + b, 0) / n : 0;
  const draws = new Float64Array(iters);
  for (let it = 0; it < iters; it++) {
    let t = 0;
    for (let i = 0; i < n; i++) t += pool[Math.floor(rand() * n)]!;
    draws[it] = n ? t / n : 0;
  }
  draws.sort();
  return { mean, lo: draws[Math.floor(0.025 * iters)]!, hi: draws[Math.min(iters - 1, Math.floor(0.975 * iters))]!, users: n };
}

/**
 * Mean NDCG@20 over origins with a 95% interval from a stratified bootstrap: users resampled within
 * each origin, the origins' means averaged. `paired` (same origins, same users) gives the interval
 * of the difference a - b instead.
 */
export function summarizeRolling(
  runs: ReadonlyArray<EvalResult>,
  options: { paired?: ReadonlyArray<EvalResult>; iterations?: number; seed?: number } = {},
): { mean: number; lo: number; hi: number } {
  const iters = options.iterations ?? 2000;
  const rand = mulberry32(options.seed ?? 7);
  const per = runs.map((r, k) => {
    const x = r.perUserNdcg20 ?? new Float64Array(0);
    const y = options.paired?.[k]?.perUserNdcg20;
    if (options.paired && (!y || y.length !== x.length)) throw new Error(`summarizeRolling: origin ${k} has no paired per-user figures`);
    return y ? Float64Array.from(x, (v, i) => v - y[i]!) : x;
  });
  const meanOf = (v: Float64Array): number => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : 0);
  const mean = per.reduce((a, v) => a + meanOf(v), 0) / Math.max(1, per.length);
  const draws = new Float64Array(iters);
  for (let it = 0; it < iters; it++) {
    let s = 0;
    for (const v of per) {
      let t = 0;
      for (let i = 0; i < v.length; i++) t += v[Math.floor(rand() * v.length)]!;
      s += v.length ? t / v.length : 0;
    }
    draws[it] = s / Math.max(1, per.length);
  }
  draws.sort();
  return { mean, lo: draws[Math.floor(0.025 * iters)]!, hi: draws[Math.min(iters - 1, Math.floor(0.975 * iters))]! };
}

/** The rolling table: one row per model, each origin's NDCG@20 (users), the mean and its interval. */
export function formatRolling(summaries: readonly RollingSummary[], origins: readonly RollingOrigin[]): string {
  const day = (ms: number): string => (Number.isFinite(ms) ? new Date(ms).toISOString().slice(0, 10) : 'end');
  const head = ['model', ...origins.map((o) => `${day(o.cutoffMs)}..${day(o.endMs)}`), 'mean NDCG@20 (95% CI)'];
  const rows = summaries.map((s) => [
    s.model,
    ...s.perOrigin.map((p) => `${p.ndcg20.toFixed(4)} (${p.users})`),
    `${s.mean.toFixed(4)} (${s.lo.toFixed(4)} .. ${s.hi.toFixed(4)})`,
  ]);
  const all = [head, ...rows];
  const widths = head.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  return all.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n');
}
