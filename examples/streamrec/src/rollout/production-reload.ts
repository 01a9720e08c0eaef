import type { ModelManifest, ModelRegistry } from '@frec/model-registry';
import type { Ranker } from '@frec/model-serving/ranking';
import type { RecommendMetrics } from '../recommender/recommend-metrics.js';
import type { Recommender } from '../recommender/recommender.js';

/** What a reload did. */
export type ReloadOutcome =
  | { kind: 'unchanged'; version: number }
  | { kind: 'swapped'; from?: number; version: number }
  | { kind: 'kept'; version?: number; reason: string };

/**
 * Re-reads the registry and serves its last good production ranker (ModelRegistry.lastGood): a
 * new production version is loaded and swapped in; when it cannot be loaded (corrupt artifact,
 * unreadable export) or nothing verifies, the model already in memory keeps serving, and the
 * reason is returned and logged. Call it after the daily job promotes, or on a timer.
 */
export async function reloadProductionRanker(options: {
  registry: ModelRegistry;
  recommender: Recommender;
  metrics: RecommendMetrics;
  /** Registry name of the ranker (default 'ranker'). */
  name?: string;
  /** The version serving now. */
  current?: number;
  load: (registry: ModelRegistry, manifest: ModelManifest) => Promise<Ranker | undefined>;
  log?: (line: string) => void;
}): Promise<ReloadOutcome> {
  const name = options.name ?? 'ranker';
  const log = options.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const keep = (reason: string): ReloadOutcome => {
    log(`model reload: keeping ${name}${options.current ? ` v${options.current}` : ''}: ${reason}`);
    return { kind: 'kept', ...(options.current ? { version: options.current } : {}), reason };
  };
  const good = await options.registry.lastGood(name).catch((err: Error) => (keep(err.message), undefined));
  if (!good) return keep(`no production version of '${name}' verifies`);
  for (const s of good.skipped) log(`model reload: ${name} v${s.version} skipped: ${s.reason}`);
  const m = good.manifest;
  if (m.version === options.current) return { kind: 'unchanged', version: m.version };
  let ranker: Ranker | undefined;
  try {
    ranker = await options.load(options.registry, m);
  } catch (err) {
    return keep(`${name} v${m.version} could not be loaded: ${(err as Error).message}`);
  }
  if (!ranker) return keep(`${name} v${m.version} has no loadable ranker artifact`);
  options.recommender.setRanker(ranker);
  options.metrics.setServedModel(name, ranker.version, Date.parse(m.trainingData.end));
  log(`model reload: serving ${name} v${m.version}${options.current ? ` (was v${options.current})` : ''}`);
  return { kind: 'swapped', ...(options.current ? { from: options.current } : {}), version: m.version };
}
