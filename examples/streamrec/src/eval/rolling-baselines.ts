import { allTimePopularity } from '../baselines/popularity.js';
import { TUNED_BASELINES, tuneAndEvaluate, type BaselineTuning, type TunedBaseline } from '../baselines/tuned-baselines.js';
import type { Interactions } from '../data/interactions.js';
import { evaluate, rankByScores, type EvalResult } from './evaluate.js';
import { seenItems } from './protocols.js';
import { rollingOrigins, summarizeRolling, type RollingOrigin, type RollingSummary } from './rolling-origin.js';

/** The rolling-origin evaluation of the classical baselines: per model its summary, per origin its tunings. */
export interface RollingBaselines {
  origins: RollingOrigin[];
  summaries: RollingSummary[];
  results: Map<string, EvalResult[]>;
  tunings: BaselineTuning[][];
}

/**
 * Every classical baseline at every origin, its hyper-parameter chosen on that origin's validation
 * window (the window before the cutoff), refit on all events before the cutoff, tested on the next window.
 */
export function rollingBaselines(
  data: Interactions,
  options: {
    origins?: number;
    window?: number;
    seed?: number;
    baselines?: readonly TunedBaseline[];
    onOrigin?: (k: number, n: number) => void;
  } = {},
): RollingBaselines {
  const origins = rollingOrigins(data, options);
  const baselines = options.baselines ?? TUNED_BASELINES;
  const results = new Map<string, EvalResult[]>();
  const push = (r: EvalResult): void => void (results.get(r.model) ?? results.set(r.model, []).get(r.model)!).push(r);
  const tunings: BaselineTuning[][] = [];
  for (const o of origins) {
    options.onOrigin?.(o.index, origins.length);
    const seen = seenItems(data, o.test);
    const pop = allTimePopularity(data, o.test.train);
    push(
      evaluate(
        'popularity_all_time',
        o.test,
        seen,
        rankByScores(() => pop),
      ),
    );
    const t: BaselineTuning[] = [];
    for (const b of baselines) {
      const { result, tuning } = tuneAndEvaluate(b, data, o.test, seen, options.seed ?? 42, o.validation);
      push(result);
      t.push(tuning);
    }
    tunings.push(t);
  }
  const summaries = [...results].map(([model, runs]) => ({
    model,
    perOrigin: runs.map((r) => ({ ndcg20: r.ndcg20, users: r.users })),
    ...summarizeRolling(runs),
  }));
  return { origins, summaries, results, tunings };
}
