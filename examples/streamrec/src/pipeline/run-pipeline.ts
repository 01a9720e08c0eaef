import type { ModelManifest } from '@frec/model-registry';
import type { LoadResult } from '../data/movielens-loader.js';
import type { Interactions } from '../data/interactions.js';
import { formatComparisons, formatTable, type EvalResult } from '../eval/evaluate.js';
import type { ProtocolName } from '../eval/protocols.js';
import { TowerTrainingPool } from '../tower-pool/index.js';
import { PROTOCOLS, resolvePipelineConfig, type PipelineOptions } from './config.js';
import { protocolModels, type ProtocolModels } from './protocol-models.js';
import { StepContext } from './step.js';
import { StepTimer } from './step-timer.js';
import { baselinesStep } from './steps/baselines.js';
import { evaluateStep } from './steps/evaluate.js';
import { exportStep } from './steps/export.js';
import { featuresStep } from './steps/features.js';
import { loadStep } from './steps/load.js';
import { rankerSetStep } from './steps/ranker-set.js';
import { refitStep } from './steps/refit.js';
import { registerStep } from './steps/register.js';
import { splitStep, type SplitData } from './steps/split.js';
import { trainRankerStep } from './steps/train-ranker.js';
import { trainRetrievalStep, type RetrievalTraining } from './steps/train-retrieval.js';
import { tuneBlendStep } from './steps/tune-blend.js';
import { tuneQueryStep } from './steps/tune-query.js';

export type { PipelineOptions } from './config.js';
export type { ProtocolModels } from './protocol-models.js';

/** What the pipeline produced. */
export interface PipelineResult {
  load: LoadResult;
  results: EvalResult[];
  table: string;
  /** The two-stage system against each baseline per protocol, with paired bootstrap intervals. */
  comparisons: string;
  timings: StepTimer['timings'];
  /** Tower trainings on worker threads: training time of each, overlapping the main thread's steps. */
  workerTimings: StepTimer['workerTimings'];
  totalSeconds: number;
  models: ModelManifest[];
  /** The global split's models; absent when `protocols` leaves that split out. */
  global?: ProtocolModels;
  data: Interactions;
}

/** The steps' names in the order a run starts them (the per-protocol ones once per protocol). */
export const PIPELINE_STEPS: readonly string[] = [
  loadStep,
  featuresStep,
  splitStep,
  trainRetrievalStep,
  baselinesStep,
  tuneQueryStep,
  rankerSetStep,
  trainRankerStep,
  tuneBlendStep,
  refitStep,
  evaluateStep,
  exportStep,
  registerStep,
].map((s) => s.name);

/** One protocol's split with its towers queued on the training pool. */
interface Queued {
  ctx: StepContext;
  split: SplitData;
  retrieval: RetrievalTraining;
}

/**
 * Loads MovieLens, computes the point-in-time feature tables, applies the feature repo, then for each
 * evaluation protocol trains and evaluates popularity, BPR-MF, the two-tower and the DCN-V2 ranker on
 * training sets read through getHistoricalFeatures, and registers the global split's models.
 *
 * The steps (PIPELINE_STEPS) run in this order: load, features; per protocol split and
 * train-retrieval (the towers train on worker threads from here on); per protocol baselines; per
 * protocol tune-query, ranker-set, train-ranker, tune-blend, refit, evaluate; then export and register.
 * @example await runPipeline({ repoPath: 'feature_repo', inputDir: 'examples/streamrec/data/ml-latest-small' })
 */
export async function runPipeline(options: PipelineOptions): Promise<PipelineResult> {
  const config = resolvePipelineConfig(options);
  const { steps } = config;
  const timer = new StepTimer(config.quiet);
  const run = new StepContext(config.seed, timer);
  const load = await loadStep.run(undefined, config, run);
  const { store, data } = await featuresStep.run(undefined, config, run);
  const pool = new TowerTrainingPool(config.trainThreads);
  try {
    const results: EvalResult[] = [];
    // Every split's towers are queued before any is awaited, so the worker threads never idle while
    // the main thread builds training sets, tunes the query and trains the ranker (ADR 0075).
    const queued: Queued[] = [];
    for (const protocol of orderedForTraining(config.protocols)) {
      const ctx = run.forProtocol(protocol);
      const split = await splitStep.run({ store, data, protocol }, steps.split, ctx);
      const retrieval = await trainRetrievalStep.run({ split, pool, ids: data }, steps.trainRetrieval, ctx);
      queued.push({ ctx, split, retrieval });
    }
    for (const { ctx, split } of queued) results.push(...(await baselinesStep.run({ data, split }, steps.baselines, ctx)));
    let global: ProtocolModels | undefined;
    for (const { ctx, split, retrieval } of queued) {
      const query = await tuneQueryStep.run({ data, split, retrieval }, steps.tuneQuery, ctx);
      const rankerSet = await rankerSetStep.run({ store, data, split, query }, steps.rankerSet, ctx);
      const ranker = await trainRankerStep.run({ rankerSet }, steps.trainRanker, ctx);
      const blend = await tuneBlendStep.run(
        { store, data, split, query, rankerSet, ranker },
        { ...steps.tuneBlend, ranker: steps.trainRanker },
        ctx,
      );
      const served = await refitStep.run({ data, split, retrieval, query }, {}, ctx);
      results.push(...(await evaluateStep.run({ store, data, split, query, rankerSet, ranker, blend, served }, steps.evaluate, ctx)));
      if (ctx.protocol === 'global_time') global = protocolModels({ split, retrieval, query, ranker, rankerSet, blend, served });
    }
    // Baselines of every split were evaluated first; the table reads one protocol at a time.
    results.sort((a, b) => config.protocols.indexOf(a.protocol) - config.protocols.indexOf(b.protocol));
    const table = formatTable(results);
    const comparisons = formatComparisons(results);
    run.log(`\n${table}\n\nPaired bootstrap over users (2000 resamples, 95% intervals):\n${comparisons}\n`);
    let models: ModelManifest[] = [];
    if (config.register && global) {
      const exported = await exportStep.run({ data, models: global }, {}, run);
      const register = { registry: config.modelRegistry, promote: config.promote };
      models = await registerStep.run({ store, models: global, exported, results }, register, run);
    }
    return {
      load,
      results,
      table,
      comparisons,
      timings: timer.timings,
      workerTimings: timer.workerTimings,
      totalSeconds: timer.totalSeconds,
      models,
      ...(global ? { global } : {}),
      data,
    };
  } finally {
    await pool.close();
    await store.close();
  }
}

/** The protocols in PROTOCOLS order (the global split first), whatever order the table uses. */
function orderedForTraining(protocols: readonly ProtocolName[]): ProtocolName[] {
  return PROTOCOLS.filter((p) => protocols.includes(p));
}
