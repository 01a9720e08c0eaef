import { availableParallelism } from 'node:os';
import path from 'node:path';
import { ErrorCode, FeatureStore, FrecError } from '@frec/core';
import { openModelRegistry, type ModelManifest } from '@frec/model-registry';
import { loadMovieLens, type LoadResult } from '../data/movielens-loader.js';
import { readInteractions, type Interactions } from '../data/interactions.js';
import { computeFeatures } from '../features/compute-features.js';
import { globalTimeSplit, maxOverlapTestFraction, perUserTemporalSplit, type ProtocolName, type Split } from '../eval/protocols.js';
import { formatComparisons, formatTable, type EvalResult } from '../eval/evaluate.js';
import type { BprConfig } from '../baselines/bpr-mf.js';
import { TowerTrainingPool, type CoOccurrenceOptions, type HistoryQueryParams, type TowerEnsemble } from '../models/index.js';
import type { CoOccurrenceTerm } from './two-stage.js';
import type { DcnConfig, DcnParams, TwoTowerConfig } from '../models/types.js';
import type { CatalogSnapshot } from '../training-sets/build-training-sets.js';
import { registerModels } from './register-models.js';
import { StepTimer } from './step-timer.js';
import type { CandidateMix } from './candidates.js';
import { evaluateBaselines, finishSplit, prepareSplit, type Prepared } from './split-steps.js';

/** Options of the one-command training pipeline. */
export interface PipelineOptions {
  /** The StreamRec feature repo (feature_store.yaml + features.ts); Parquet goes to its data/ folder. */
  repoPath: string;
  /** A MovieLens folder (ratings.csv or u.data style). */
  inputDir: string;
  /** Keep only this many users (seeded), for tests. */
  maxUsers?: number;
  seed?: number;
  /** Model registry location (folder or s3://...); default <repoPath>/data/models. */
  modelRegistry?: string;
  /** Share of events (by time) in the global split's test period; default: the one leaving the most evaluable users (ADR 0050). */
  globalTestFraction?: number;
  bpr?: Partial<BprConfig>;
  twoTower?: Partial<TwoTowerConfig>;
  /** Two-towers per retrieval ensemble, seeded seed, seed + 100, ... (ADR 0075). Default DEFAULT_TOWER_MEMBERS. */
  towerMembers?: number;
  /** Worker threads training the towers; 0 trains them in process, one after another. Default min(2, cores). */
  trainThreads?: number;
  /** How the two-tower's training query adds the recent items (TrainOptions.history); weight 0 trains the tower alone. */
  towerHistory?: HistoryQueryParams;
  /** After tuning on the holdout, retrain the two-tower on all training events for evaluation and serving. Default true. */
  refitTower?: boolean;
  ranker?: Partial<DcnConfig>;
  /** Held-out interactions sampled for the ranker (default 12000, capped by the holdout); those a candidate source finds become positives, each with `rankerNegatives` (default 8) negatives. */
  rankerPositives?: number;
  rankerNegatives?: number;
  /** 'listwise' (default): softmax cross-entropy over each request's rows; 'pointwise': binary cross-entropy per row (ADR 0077). */
  rankerLoss?: 'pointwise' | 'listwise';
  /** Items each offline candidate source hands to the ranker. */
  candidates?: Partial<CandidateMix>;
  /**
   * Rank, at every request, only items already in the catalog (first rated by then), in evaluation
   * and in the ranker's training (ADR 0076). Default true; false ranks every item at any time.
   */
  catalogAtRequest?: boolean;
  /**
   * Add a tuned share of item popularity back to the two-tower's retrieval score (ADR 0077).
   * Default true; false retrieves by the dot product alone.
   */
  popularityPrior?: boolean;
  /**
   * Add a tuned share of item-to-item co-occurrence with the user's recent items to the two-stage
   * system's retrieval score, and a co-occurrence candidate source (ADR 0078). Default
   * DEFAULT_CO_OCCURRENCE; false leaves both out.
   */
  coOccurrence?: false | CoOccurrenceOptions;
  /** How the blend weight is picked on validation (tuneBlend): 'one-se' (default) or 'best'. */
  blendRule?: 'best' | 'one-se';
  /** Run only these protocols (default both); registering needs global_time. */
  protocols?: ProtocolName[];
  /** Also report the ranker alone (w1) and the two-tower order of the same candidates (w0). */
  reportBlends?: boolean;
  /** Register the global-split models in the model registry. Default true. */
  register?: boolean;
  /** Promote the registered models to production. Default false. */
  promote?: boolean;
  quiet?: boolean;
}

/** Trained models of one protocol. */
export interface ProtocolModels {
  split: Split;
  tower: TowerEnsemble;
  ranker: DcnParams;
  catalog: CatalogSnapshot;
  itemEmbeddings: Float32Array;
  trainRows: number;
  /** Weight of the ranker in the final blend with the two-tower score, tuned on the validation slice. */
  blendWeight: number;
  /** How recent items enter the retrieval query (historyQuery), tuned on the validation slice. */
  history: HistoryQueryParams;
  /** How the ranker was trained. */
  rankerLoss: 'pointwise' | 'listwise';
  /** Weight of the popularity prior in the retrieval score, tuned with `history` (ADR 0077); 0: none. */
  popularityWeight: number;
  /** What retrieval adds to each item's dot product: the prior at `popularityWeight`; absent at weight 0. */
  itemBias?: Float32Array;
  /** The co-occurrence term of the two-stage retrieval score and how its table was built (ADR 0078); absent when switched off. */
  coOccurrence?: CoOccurrenceTerm & Required<CoOccurrenceOptions>;
}

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

/**
 * Loads MovieLens, computes the point-in-time feature tables, applies the feature repo, then for both
 * evaluation protocols trains popularity, BPR-MF, the two-tower and the DCN-V2 ranker on training sets
 * read through getHistoricalFeatures, evaluates them, and registers the global-split models.
 * @example await runPipeline({ repoPath: 'feature_repo', inputDir: 'examples/streamrec/data/ml-latest-small' })
 */
export async function runPipeline(options: PipelineOptions): Promise<PipelineResult> {
  const seed = options.seed ?? 42;
  const wanted = checkProtocols(options);
  checkTowerOptions(options);
  const timer = new StepTimer(options.quiet);
  const dataDir = path.join(options.repoPath, 'data');
  const load = await timer.step('load', () =>
    loadMovieLens({ inputDir: options.inputDir, outDir: dataDir, seed, ...(options.maxUsers ? { maxUsers: options.maxUsers } : {}) }),
  );
  timer.log(`  ${load.interactions} interactions, ${load.users} users, ${load.items} items, ${load.tags} tags (${load.format})`);
  await timer.step('features', () => computeFeatures(dataDir, (t, n) => timer.progress('features', `${t}: ${n} rows`)));
  const store = await FeatureStore.open({ repoPath: options.repoPath });
  const pool = new TowerTrainingPool(options.trainThreads ?? Math.min(2, availableParallelism()));
  try {
    await timer.step('apply', () => store.apply());
    const data = await timer.step('read-interactions', () => readInteractions(dataDir));
    const results: EvalResult[] = [];
    let global: ProtocolModels | undefined;
    const splits = [
      ...(wanted.includes('global_time') ? [globalTimeSplit(data, options.globalTestFraction ?? maxOverlapTestFraction(data))] : []),
      ...(wanted.includes('per_user_temporal') ? [perUserTemporalSplit(data)] : []),
    ].map((s) => (options.catalogAtRequest === false ? anyItemAnyTime(s) : s));
    // Every split's towers are queued before any is awaited, so the worker threads never idle while
    // the main thread builds training sets, tunes the query and trains the ranker (ADR 0075).
    const prepared: Prepared[] = [];
    for (const split of splits) prepared.push(await prepareSplit({ store, data, split, options, seed, timer, pool, results }));
    for (const prep of prepared) await evaluateBaselines({ store, data, prep, options, seed, timer, results });
    for (const prep of prepared) {
      const models = await finishSplit({ store, data, prep, options, seed, timer, results });
      if (prep.split.protocol === 'global_time') global = models;
    }
    // Baselines of every split were evaluated first; the table reads one protocol at a time.
    results.sort((a, b) => wanted.indexOf(a.protocol) - wanted.indexOf(b.protocol));
    const table = formatTable(results);
    const comparisons = formatComparisons(results);
    timer.log(`\n${table}\n\nPaired bootstrap over users (2000 resamples, 95% intervals):\n${comparisons}\n`);
    let models: ModelManifest[] = [];
    if (options.register !== false && global) {
      const registry = openModelRegistry(options.modelRegistry ?? path.join(options.repoPath, 'data', 'models'));
      models = await timer.step('register', () =>
        registerModels({ registry, store, data, models: global, results, promote: options.promote ?? false }),
      );
      for (const m of models) timer.log(`  registered ${m.name} v${m.version} (${m.stage}) in ${registry.store.location}`);
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

const PROTOCOLS: readonly ProtocolName[] = ['global_time', 'per_user_temporal'];

/** The split without its catalog rule: every item can be ranked at any time (before ADR 0076). */
function anyItemAnyTime(split: Split): Split {
  const { itemFirstSeenMs: _, ...rest } = split;
  return rest;
}

/** Fails before any work on an ensemble size or thread count that is not a whole number in range. */
function checkTowerOptions(options: PipelineOptions): void {
  const bad = (v: number | undefined, min: number): boolean => v !== undefined && !(Number.isInteger(v) && v >= min);
  for (const [option, min] of [
    ['towerMembers', 1],
    ['trainThreads', 0],
  ] as const) {
    if (bad(options[option], min)) {
      throw new FrecError(ErrorCode.INVALID_REQUEST, `${option} is ${options[option]}; it must be a whole number of at least ${min}.`, {
        where: { option },
        hint:
          option === 'towerMembers'
            ? 'Pass 1 for a single two-tower, or leave it out for the default ensemble of 2.'
            : 'Pass 0 to train in process, or leave it out to use up to 2 worker threads.',
      });
    }
  }
}

/** The protocols to run; fails before any work on an unknown name, or on registering without the global split (its models are the ones registered). */
function checkProtocols(options: PipelineOptions): ProtocolName[] {
  const wanted = options.protocols ?? [...PROTOCOLS];
  const unknown = wanted.filter((p) => !PROTOCOLS.includes(p));
  if (wanted.length === 0 || unknown.length > 0) {
    const what = unknown.length > 0 ? `Unknown evaluation protocol(s) ${JSON.stringify(unknown)}` : 'No evaluation protocol chosen';
    throw new FrecError(ErrorCode.INVALID_REQUEST, `${what}; the pipeline runs ${PROTOCOLS.join(' and ')}.`, {
      where: { option: 'protocols' },
      hint: `Pass a non-empty subset of ${JSON.stringify(PROTOCOLS)}, or leave the option out to run both.`,
    });
  }
  if (options.register !== false && !wanted.includes('global_time')) {
    throw new FrecError(
      ErrorCode.INVALID_REQUEST,
      'Registering models needs the global_time protocol: its models are the ones registered and served.',
      {
        where: { option: 'protocols' },
        hint: "Add 'global_time' to protocols, or pass register: false.",
      },
    );
  }
  return wanted;
}
