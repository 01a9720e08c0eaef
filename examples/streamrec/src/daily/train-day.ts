import { FeatureStore } from '@frec/core';
import { openModelRegistry, type ModelManifest } from '@frec/model-registry';
import { asEnsemble, deserializeParams, type DcnParams, type TowerEnsemble, type TwoTowerParams } from '../models/index.js';
import type { IdMaps } from '../models/warm-start.js';
import { mergeStepConfigs } from './merge-steps.js';
import type { DeepPartial, StepConfigs } from '../pipeline/config.js';
import { runPipeline } from '../pipeline/run-pipeline.js';
import { StepContext } from '../pipeline/step.js';
import { StepTimer, type StepTiming } from '../pipeline/step-timer.js';
import { exportStep } from '../pipeline/steps/export.js';
import { registerStep } from '../pipeline/steps/register.js';
import { DAILY_STEP_CONFIGS } from './daily-config.js';
import { fixedTuningSteps, type TuningRecord } from './tuning-record.js';

/** What the training child is asked to do (written as JSON beside the state file). */
export interface TrainDayArgs {
  day: string;
  repoPath: string;
  sliceDir: string;
  registry: string;
  seed: number;
  /** The global split's test fraction: the held-out slice (holdoutFraction). */
  testFraction: number;
  /** The slice's sha256 and event count, recorded with the models (daily/<day>.json artifact). */
  data: { sha256: string; events: number; firstEvent?: string; lastEvent?: string };
  trainThreads?: number;
  /** Step settings over DAILY_STEP_CONFIGS. */
  steps?: DeepPartial<StepConfigs>;
  /** Warm start: both models start from these registered versions (production's) instead of a seeded initialisation. */
  warmFrom?: { twoTower: number; ranker: number };
  /** featureSchema() of the repo, recorded with the tuned values. */
  featureSchema: string;
  /** Production's tuned values to use instead of tune-query's and tune-blend's searches (decideTuning); absent: search. */
  reuseTuning?: TuningRecord;
}

/** What it produced: the registered versions, their metrics, and each step's time and memory. */
export interface TrainDayResult {
  versions: Record<string, number>;
  metrics: Record<string, Record<string, number>>;
  trainingData: ModelManifest['trainingData'];
  timings: StepTiming[];
  workerTimings: StepTiming[];
  peakRssMiB: number;
  /** CPU seconds of the child, worker threads included. */
  cpuSeconds: number;
  /** The evaluation table of the held-out slice. */
  table: string;
  /** The tuned values the models serve, and the day they were chosen. */
  tuning: TuningRecord;
}

/** The artifact that ties a registered version to its day and the sha256 of its training data. */
export const dayArtifact = (day: string): string => `daily/${day}.json`;

/**
 * One day's training, through the pipeline's steps: runPipeline on the day's slice (global split
 * only, the held-out slice as its test period), then export and register, each model carrying the
 * day and the data's checksum as an artifact. Runs in the training child process (train-child.ts).
 */
export async function trainDay(args: TrainDayArgs): Promise<TrainDayResult> {
  const over = args.reuseTuning ? mergeStepConfigs(args.steps ?? {}, fixedTuningSteps(args.reuseTuning.values)) : args.steps;
  const steps = mergeStepConfigs(DAILY_STEP_CONFIGS, { ...over, split: { globalTestFraction: args.testFraction } });
  if (args.warmFrom) {
    const warm = await warmStartModels(args.registry, args.warmFrom);
    // Whole objects, not settings to merge: set after the merge.
    steps.trainRetrieval = { ...steps.trainRetrieval, warmStart: warm.tower } as typeof steps.trainRetrieval;
    steps.trainRanker = { ...steps.trainRanker, warmStart: warm.ranker } as typeof steps.trainRanker;
  }
  const res = await runPipeline({
    repoPath: args.repoPath,
    inputDir: args.sliceDir,
    seed: args.seed,
    protocols: ['global_time'],
    register: false,
    modelRegistry: args.registry,
    ...(args.trainThreads !== undefined ? { trainThreads: args.trainThreads } : {}),
    steps,
  });
  const timer = new StepTimer(false);
  const ctx = new StepContext(args.seed, timer);
  const global = res.global!;
  const exported = await exportStep.run({ data: res.data, models: global }, {}, ctx);
  const tuning: TuningRecord = args.reuseTuning ?? {
    tunedOn: args.day,
    featureSchema: args.featureSchema,
    values: {
      recentWeight: global.history.weight,
      recentDecay: global.history.decay,
      popularityWeight: global.popularityWeight,
      coOccurrenceWeight: global.coOccurrence.weight,
      blendWeight: global.blendWeight,
    },
  };
  const record = new TextEncoder().encode(`${JSON.stringify({ day: args.day, ...args.data, warmFrom: args.warmFrom ?? null, tuning })}\n`);
  for (const m of [exported.twoTower, exported.ranker]) m.artifacts.push({ path: dayArtifact(args.day), data: record });
  const store = await FeatureStore.open({ repoPath: args.repoPath });
  let models: ModelManifest[];
  try {
    models = await registerStep.run(
      { store, models: global, exported, results: res.results },
      { registry: args.registry, promote: false },
      ctx,
    );
  } finally {
    await store.close();
  }
  return {
    versions: Object.fromEntries(models.map((m) => [m.name, m.version])),
    metrics: Object.fromEntries(models.map((m) => [m.name, m.metrics])),
    trainingData: models[0]!.trainingData,
    timings: [...res.timings, ...timer.timings],
    workerTimings: res.workerTimings,
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    cpuSeconds: Math.round((process.resourceUsage().userCPUTime + process.resourceUsage().systemCPUTime) / 1e4) / 100,
    table: res.table,
    tuning,
  };
}

/** The registered versions' trained parameters and id maps: what a warm start begins from. */
async function warmStartModels(
  location: string,
  versions: { twoTower: number; ranker: number },
): Promise<{ tower: { params: TowerEnsemble; ids: IdMaps }; ranker: DcnParams }> {
  const registry = openModelRegistry(location);
  const text = async (m: ModelManifest, p: string) => Buffer.from(await registry.readArtifact(m, p)).toString('utf8');
  const tt = await registry.describe('two_tower', versions.twoTower);
  const rk = await registry.describe('ranker', versions.ranker);
  const tower = asEnsemble(deserializeParams<TwoTowerParams | TowerEnsemble>(await text(tt, 'params.json')));
  const ids = JSON.parse(await text(tt, 'ids.json')) as IdMaps;
  const ranker = deserializeParams<DcnParams>(await text(rk, 'params.json'));
  return { tower: { params: tower, ids }, ranker };
}
