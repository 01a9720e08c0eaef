import type { ModelRegistry } from '@frec/model-registry';
import type { RecommendMetrics } from '../recommender/recommend-metrics.js';
import type { Recommender } from '../recommender/recommender.js';
import type { RankerLoader } from './gate-registered-candidate.js';
import { reloadProductionRanker, type ReloadOutcome } from './production-reload.js';
import { startStreamRecCanary, type StreamRecCanaryOptions } from './streamrec-canary.js';

/** What one sync did. */
export interface SyncOutcome {
  production: ReloadOutcome;
  /** 'started' with the version, 'running' when a canary is already on, 'none' when no candidate waits. */
  canary:
    { kind: 'started'; version: number } | { kind: 'running' } | { kind: 'none' } | { kind: 'failed'; version: number; reason: string };
}

/**
 * Keeps a serving process in step with the model registry, for a daily job that runs elsewhere:
 * each `sync()` serves the last good production ranker (reloadProductionRanker) and, when no
 * canary runs, starts one for the newest candidate the shadow gate passed (its last history entry
 * is the gate's `canary` note). Call it on a timer or after the job.
 */
export function registrySync(options: {
  registry: ModelRegistry;
  recommender: Recommender;
  metrics: RecommendMetrics;
  load: RankerLoader;
  featureServiceExists: (service: string) => Promise<boolean>;
  name?: string;
  /** The production version serving now. */
  current?: number;
  canary?: Pick<StreamRecCanaryOptions, 'budgets' | 'steps' | 'requestsPerStep' | 'minRequestsToJudge' | 'onEvent'>;
  log?: (line: string) => void;
}): { sync(): Promise<SyncOutcome> } {
  const name = options.name ?? 'ranker';
  let current = options.current;
  return {
    async sync() {
      const production = await reloadProductionRanker({ ...options, name, current });
      if (production.kind === 'swapped' || production.kind === 'unchanged') current = production.version;
      if (options.recommender.canary) return { production, canary: { kind: 'running' } };
      const waiting = (await options.registry.list(name))
        .filter((m) => m.stage === 'candidate' && m.stageHistory.at(-1)?.event === 'canary' && m.version > (current ?? 0))
        .at(-1);
      if (!waiting) return { production, canary: { kind: 'none' } };
      let ranker: Awaited<ReturnType<RankerLoader>>;
      try {
        ranker = await options.load(options.registry, waiting);
      } catch (err) {
        const reason = (err as Error).message;
        await options.registry.refuse(name, waiting.version, `canary could not start: ${reason}`);
        return { production, canary: { kind: 'failed', version: waiting.version, reason } };
      }
      if (!ranker) return { production, canary: { kind: 'failed', version: waiting.version, reason: 'no loadable ranker artifact' } };
      startStreamRecCanary({
        ...options.canary,
        recommender: options.recommender,
        metrics: options.metrics,
        registry: options.registry,
        candidate: { ranker, manifest: waiting },
        featureServiceExists: options.featureServiceExists,
        log: options.log,
      });
      return { production, canary: { kind: 'started', version: waiting.version } };
    },
  };
}
