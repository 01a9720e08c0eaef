import { availableParallelism } from 'node:os';
import path from 'node:path';
import { ErrorCode, FrecError } from '@frec/core';
import type { BprConfig } from '../baselines/bpr-mf.js';
import type { ProtocolName } from '../eval/protocols.js';
import type { DcnConfig, DcnParams, TowerEnsemble, TwoTowerConfig } from '../models/index.js';
import type { IdMaps } from '../models/warm-start.js';
import {
  CO_OCCURRENCE_WEIGHT_GRID,
  DEFAULT_CO_OCCURRENCE,
  POPULARITY_SHARE_GRID,
  POPULARITY_WEIGHT_GRID,
  RECENT_DECAY_GRID,
  RECENT_WEIGHT_GRID,
  type CoOccurrenceOptions,
  type HistoryQueryParams,
} from '../retrieval/index.js';
import { BLEND_GRID, DEFAULT_CANDIDATE_MIX, type CandidateMix } from './two-stage/index.js';

/** Settings of the split step. */
export interface SplitConfig {
  /** Share of events (by time) in the global split's test period; undefined: the one leaving the most evaluable users (ADR 0050). */
  globalTestFraction: number | undefined;
  /**
   * The global split's holdout (what the tuned tower leaves out and the query, ranker and blend are
   * tuned on): 'window', every training event after the inner cutoff (innerCutoffMs), asked at that
   * cutoff as the test is; 'per-user', each user's last 10% of training events (the design before
   * 2026-12-02). The per-user split always holds out per user.
   */
  globalHoldout: 'window' | 'per-user';
  /**
   * With the window holdout: how many consecutive windows of the test period's size before the
   * cutoff validate (innerWindowStartsMs; fewer if they would hold more than half of training).
   * The tuned tower trains before the first; the query, the prior, the blend and recent
   * popularity's window are chosen on every window's requests pooled. 1: the single window of
   * ADR 0052's third addendum.
   */
  validationWindows?: number;
}

/** Settings of the baselines step. */
export interface BaselinesConfig {
  /** BPR-MF hyper-parameters over DEFAULT_BPR; its seed defaults to the run's. */
  bpr: Partial<BprConfig>;
  /** Also the classical baselines (recent popularity with a validated window, EASE, ItemKNN, PureSVD), each tuned on validation. */
  classical: boolean;
}

/** Settings of the retrieval training step. */
export interface TrainRetrievalConfig {
  /** Two-tower hyper-parameters over DEFAULT_TWO_TOWER_CONFIG; member k's seed is (tower.seed ?? the run's seed) + 100 k. */
  tower: Partial<TwoTowerConfig>;
  /** Two-towers per retrieval ensemble (ADR 0075). */
  members: number;
  /** How the training query adds the recent items (TrainOptions.history). */
  history: HistoryQueryParams;
  /**
   * Train the served ensemble again on every training event, the holdout included (default true).
   * False serves the ensemble the query was tuned on: one fit instead of two (the demo's first run).
   */
  refit: boolean;
  /**
   * Warm start: each member starts from the production ensemble's member (laid out on this
   * data's ids by warmTwoTower) instead of a seeded initialisation; absent: cold.
   */
  warmStart?: { params: TowerEnsemble; ids: IdMaps };
}

/** Settings of the query tuning step: the grids it tries on the held-out users and the co-occurrence table it builds. */
export interface TuneQueryConfig {
  recentWeights: readonly number[];
  recentDecays: readonly number[];
  popularityWeights: readonly number[];
  /** Shares of the most recent training events the prior may count, each tried at the chosen recent-items query (1: all events). */
  popularityShares?: readonly number[];
  coOccurrenceWeights: readonly number[];
  coOccurrence: Required<CoOccurrenceOptions>;
  /**
   * Values chosen by an earlier search (the daily job's production pair between re-tunings):
   * used as they are, no grid point scored. Absent: search the grids.
   */
  fixed?: FixedQuery;
}

/** A retrieval query chosen earlier by tune-query's search. */
export interface FixedQuery {
  history: HistoryQueryParams;
  popularityWeight: number;
  /** Share of recent training events the prior counts; absent: all of them. */
  popularityShare?: number;
  coOccurrenceWeight: number;
}

/** Settings of the ranker training set step. */
export interface RankerSetConfig {
  /** Held-out interactions sampled for the ranker (capped by the holdout); those a candidate source finds become positives. */
  positives: number;
  /** Negatives drawn per positive from its request's candidates, or 'pool': all of them (the whole served pool, listwise). */
  negatives: number | 'pool';
  /** Items each offline candidate source hands to the ranker, in training, blend tuning and evaluation. */
  candidates: CandidateMix;
  /**
   * Cross-fitting folds of the blend weight: with 2 or more, the ranker learns from every held-out
   * user, and the blend is tuned on all of them, each scored by a ranker trained without its fold
   * (tune-blend). 1: the ranker leaves a ~130-user validation slice out and the blend is tuned on it.
   */
  blendFolds: number;
}

/** Settings of the ranker training step. */
export interface TrainRankerConfig {
  /** DCN-V2 hyper-parameters over DEFAULT_DCN_CONFIG; its seed defaults to the run's. */
  dcn: Partial<DcnConfig>;
  /** Warm start: training starts from this ranker (when its widths fit, warmDcn); absent: cold. */
  warmStart?: DcnParams;
}

/** Settings of the blend tuning step. */
export interface TuneBlendConfig {
  weights: readonly number[];
  /** A blend weight chosen earlier by this step's search: used as it is, no fold ranker trained. Absent: search `weights`. */
  fixed?: number;
}

/** Settings of the evaluation step. */
export interface EvaluateConfig {
  /** Also report the ranker alone (two_stage_w1) and the retrieval order of the same candidates (two_stage_w0). */
  reportBlends: boolean;
}

/** Each step's settings, by step. */
export interface StepConfigs {
  split: SplitConfig;
  baselines: BaselinesConfig;
  trainRetrieval: TrainRetrievalConfig;
  tuneQuery: TuneQueryConfig;
  rankerSet: RankerSetConfig;
  trainRanker: TrainRankerConfig;
  tuneBlend: TuneBlendConfig;
  evaluate: EvaluateConfig;
}

/** Every step's defaults: the settings the pipeline runs with unless told otherwise. */
export const DEFAULT_STEP_CONFIGS: StepConfigs = {
  split: { globalTestFraction: undefined, globalHoldout: 'window', validationWindows: 4 },
  baselines: { bpr: {}, classical: true },
  trainRetrieval: {
    tower: {},
    // Two towers: their mean score beat either member on validation under both protocols and two seeds (ADR 0052, ADR 0075).
    members: 2,
    // The recent-items weight chosen from RECENT_WEIGHT_GRID by the validation NDCG@20 summed over both
    // protocols, the decay the best one of the untrained-history search (ADR 0052).
    history: { weight: 1, decay: 0.25 },
    refit: true,
  },
  tuneQuery: {
    recentWeights: RECENT_WEIGHT_GRID,
    recentDecays: RECENT_DECAY_GRID,
    popularityWeights: POPULARITY_WEIGHT_GRID,
    popularityShares: POPULARITY_SHARE_GRID,
    coOccurrenceWeights: CO_OCCURRENCE_WEIGHT_GRID,
    coOccurrence: DEFAULT_CO_OCCURRENCE,
  },
  // The whole pool of 2,000 sampled held-out events (~850 retrieved, ~170k rows) and a linear
  // listwise ranker over it beat 8 sampled negatives with the default DCN-V2 on validation
  // (docs/experiments/2026-12-listwise-pool-ranker.md).
  rankerSet: { positives: 2000, negatives: 'pool', candidates: DEFAULT_CANDIDATE_MIX, blendFolds: 2 },
  trainRanker: { dcn: { crossLayers: 0, hidden: [] } },
  tuneBlend: { weights: BLEND_GRID },
  evaluate: { reportBlends: false },
};

/** Partial settings, merged over the defaults object by object (arrays are replaced whole). */
export type DeepPartial<T> = {
  [K in keyof T]?: T[K] extends readonly unknown[] ? T[K] : T[K] extends object ? DeepPartial<T[K]> : T[K];
};

/** What a caller of runPipeline passes: the run's settings, and any step's settings over DEFAULT_STEP_CONFIGS. */
export interface PipelineOptions {
  /** The StreamRec feature repo (feature_store.yaml + features.ts); Parquet goes to its data/ folder. */
  repoPath: string;
  /** A MovieLens folder (ratings.csv or u.data style). */
  inputDir: string;
  /** Seed of every generator of the run. Default 42. */
  seed?: number;
  /** Keep only this many users (seeded), for tests. */
  maxUsers?: number;
  /** Run only these protocols (default both); registering needs global_time. */
  protocols?: ProtocolName[];
  /** Register the global split's models in the model registry. Default true. */
  register?: boolean;
  /** Promote the registered models to production. Default false. */
  promote?: boolean;
  /** Model registry location (folder or s3://...); default <repoPath>/data/models. */
  modelRegistry?: string;
  /** Worker threads training the towers; 0 trains them in process, one after another. Default min(2, cores). */
  trainThreads?: number;
  /** No progress output. */
  quiet?: boolean;
  /** Settings of individual steps, e.g. `{ trainRanker: { dcn: { epochs: 1 } } }`. */
  steps?: DeepPartial<StepConfigs>;
}

/** The run's settings with every default filled in and checked. */
export interface PipelineConfig {
  repoPath: string;
  inputDir: string;
  /** <repoPath>/data: the Parquet tables, the online store and the feature registry. */
  dataDir: string;
  seed: number;
  maxUsers: number | undefined;
  protocols: ProtocolName[];
  register: boolean;
  promote: boolean;
  modelRegistry: string;
  trainThreads: number;
  quiet: boolean;
  steps: StepConfigs;
}

/** The protocols a run evaluates, in the order of the metrics table. */
export const PROTOCOLS: readonly ProtocolName[] = ['global_time', 'per_user_temporal'];

/**
 * Fills in the defaults and checks the settings before any work: unknown or no protocols,
 * registering without the global split, and a tower count or thread count out of range fail here.
 */
export function resolvePipelineConfig(options: PipelineOptions): PipelineConfig {
  const config: PipelineConfig = {
    repoPath: options.repoPath,
    inputDir: options.inputDir,
    dataDir: path.join(options.repoPath, 'data'),
    seed: options.seed ?? 42,
    maxUsers: options.maxUsers,
    protocols: options.protocols ?? [...PROTOCOLS],
    register: options.register ?? true,
    promote: options.promote ?? false,
    modelRegistry: options.modelRegistry ?? path.join(options.repoPath, 'data', 'models'),
    trainThreads: options.trainThreads ?? Math.min(2, availableParallelism()),
    quiet: options.quiet ?? false,
    steps: mergeDefaults(DEFAULT_STEP_CONFIGS, options.steps),
  };
  checkProtocols(config);
  checkWholeNumber('trainThreads', options.trainThreads, 0, 'Pass 0 to train in process, or leave it out to use up to 2 worker threads.');
  checkWholeNumber(
    'steps.trainRetrieval.members',
    options.steps?.trainRetrieval?.members,
    1,
    'Pass 1 for a single two-tower, or leave it out for the default ensemble of 2.',
  );
  return config;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);

/** `over` merged into `base`: objects key by key, anything else (arrays included) replaced. */
function mergeDefaults<T>(base: T, over: DeepPartial<T> | undefined): T {
  if (over === undefined || !isPlainObject(base) || !isPlainObject(over)) return (over ?? base) as T;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) if (v !== undefined) out[k] = mergeDefaults(base[k], v as never);
  return out as T;
}

function checkWholeNumber(option: string, value: number | undefined, min: number, hint: string): void {
  if (value === undefined || (Number.isInteger(value) && value >= min)) return;
  throw new FrecError(ErrorCode.INVALID_REQUEST, `${option} is ${value}; it must be a whole number of at least ${min}.`, {
    where: { option },
    hint,
  });
}

function checkProtocols(config: PipelineConfig): void {
  const unknown = config.protocols.filter((p) => !PROTOCOLS.includes(p));
  if (config.protocols.length === 0 || unknown.length > 0) {
    const what = unknown.length > 0 ? `Unknown evaluation protocol(s) ${JSON.stringify(unknown)}` : 'No evaluation protocol chosen';
    throw new FrecError(ErrorCode.INVALID_REQUEST, `${what}; the pipeline runs ${PROTOCOLS.join(' and ')}.`, {
      where: { option: 'protocols' },
      hint: `Pass a non-empty subset of ${JSON.stringify(PROTOCOLS)}, or leave the option out to run both.`,
    });
  }
  if (config.register && !config.protocols.includes('global_time')) {
    throw new FrecError(
      ErrorCode.INVALID_REQUEST,
      'Registering models needs the global_time protocol: its models are the ones registered and served.',
      { where: { option: 'protocols' }, hint: "Add 'global_time' to protocols, or pass register: false." },
    );
  }
}
