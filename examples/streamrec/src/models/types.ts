/**
 * Data and parameter shapes of the StreamRec models.
 *
 * The pipeline (data loading, training sets from `getHistoricalFeatures`) produces `TwoTowerData`
 * and `RankerData`; the trainers here return `TwoTowerParams` and `DcnParams`, which the
 * exporters (../export) turn into ONNX graphs and the serving layer loads.
 *
 * Layout conventions, so the producer and the trainers agree without copies:
 * - every matrix is a row-major Float32Array; an `n x d` block holds row i at [i*d, (i+1)*d);
 * - ids are dense 0-based indexes (the caller keeps the id <-> index maps);
 * - features are raw numbers: the trainers standardize them and keep mean/std in the params,
 *   so the exported graph takes the same raw features that the feature store serves.
 *
 * Usage (what the pipeline calls):
 *   const { params } = trainTwoTower(data, { epochs: 5, seed: 42 });
 *   const itemVecs = itemTowerForward(params, data.itemFeatures);        // numItems x outDim
 *   const userVecs = userTowerForward(params, userIdx, userFeats);       // n x outDim
 *   const { params: ranker } = trainRanker(rankerData, { epochs: 3, seed: 42 });
 *   const probs = rankerPredict(ranker, x, n);                           // n
 */

import type { DenseLayer } from '../nn/dense.js';

export type { DenseLayer } from '../nn/dense.js';

/** Training pairs for the two-tower retrieval model: one row per positive (user, item) interaction. */
export interface TwoTowerData {
  /** Number of known users; user indexes are in [0, numUsers). */
  numUsers: number;
  /**
   * Recent items (item indexes, newest first) of each example, aligned with userIndex: with
   * `TrainOptions.history`, the training query adds their embeddings as serving will (historyQuery).
   */
  recentItems?: readonly Int32Array[];
  /** Number of catalog items; item indexes are in [0, numItems). */
  numItems: number;
  /** User index of each positive example (length n). */
  userIndex: Int32Array;
  /** Item index of each positive example (length n). */
  itemIndex: Int32Array;
  /** Width of the per-example user (+ stream + request) feature block; 0 for none. */
  dUser: number;
  /** Point-in-time user features of each example, n x dUser (aligned with userIndex). */
  userFeatures: Float32Array;
  /** Width of the item content feature block; 0 for none. */
  dItem: number;
  /** Content features of every catalog item, numItems x dItem (row = item index). */
  itemFeatures: Float32Array;
  /**
   * log(sampling probability) of each item under in-batch sampling, length numItems: usually
   * log(count(item) / n). Subtracted from the logits (log-Q correction) so popular items are
   * not over-penalized as negatives. Optional: computed from itemIndex when omitted.
   */
  itemLogQ?: Float32Array;
  /** Optional example weights (length n), e.g. rating-based; 1 when omitted. */
  weight?: Float32Array;
}

/** Training rows for the DCN-V2 ranker: one row per (user, candidate item, context). */
export interface RankerData {
  /** Number of rows. */
  n: number;
  /** Width of a row: user, item, context (and e.g. two-tower score) features concatenated. */
  d: number;
  /** Raw features, n x d. */
  x: Float32Array;
  /** Labels in {0, 1} (1 = positive interaction, 0 = retrieved negative), length n. */
  y: Float32Array;
  /** Optional example weights (length n); 1 when omitted. */
  weight?: Float32Array;
  /**
   * Optional request of each row (length n; one request's rows contiguous). With it the ranker is
   * trained listwise: softmax cross-entropy of each request's positives against its other rows.
   */
  group?: Int32Array;
  /**
   * Optional per-row logit offset (length n), listwise training only: each row's softmax input is
   * the model's logit plus its offset, so the model learns a correction to the offset's order
   * (e.g. a multiple of the request's z-scored retrieval score). The head starts at zero.
   */
  offset?: Float32Array;
  /** Names of the d columns, in order; kept in the params and the exported model's metadata. */
  featureNames?: string[];
}

/** Hyper-parameters of the two-tower model. */
export interface TwoTowerConfig {
  /** Id embedding width of both towers. Default 32. */
  embeddingDim: number;
  /** Hidden layer widths of each tower's MLP (ReLU). Default [64]. */
  hidden: number[];
  /** Output (retrieval embedding) width; outputs are L2-normalized. Default 32. */
  outputDim: number;
  /** Softmax temperature: logits = cos(u, v) / temperature - logQ. Default 0.05. */
  temperature: number;
  /** Adam learning rate. Default 0.005. */
  learningRate: number;
  /** L2 penalty on the id embeddings rows touched by a batch. Default 1e-6. */
  l2: number;
  /** Examples per batch (= in-batch negatives + 1). Default 256. */
  batchSize: number;
  /** Passes over the data. Default 5. */
  epochs: number;
  /** Probability of replacing a user id with the out-of-vocabulary row, which serves unseen users. Default 0.05. */
  userIdDropout: number;
  /** PRNG seed; the same seed and data give the same params, bit for bit. Default 42. */
  seed: number;
}

/** Trained two-tower weights. Row `numUsers` of userEmbedding (and `numItems` of itemEmbedding) is the OOV row. */
export interface TwoTowerParams {
  kind: 'two-tower';
  config: TwoTowerConfig;
  numUsers: number;
  numItems: number;
  dUser: number;
  dItem: number;
  /** (numUsers + 1) x embeddingDim. */
  userEmbedding: Float32Array;
  /** (numItems + 1) x embeddingDim. */
  itemEmbedding: Float32Array;
  /** Standardization of the raw user features: (x - mean) / std, length dUser each. */
  userFeatureMean: Float32Array;
  userFeatureStd: Float32Array;
  /** Standardization of the raw item features, length dItem each. */
  itemFeatureMean: Float32Array;
  itemFeatureStd: Float32Array;
  /** User tower MLP, input = [embedding, standardized user features]; ReLU between layers, linear last. */
  userMlp: DenseLayer[];
  /** Item tower MLP, input = [embedding, standardized item features]. */
  itemMlp: DenseLayer[];
}

/** Hyper-parameters of the DCN-V2 ranker (parallel cross + deep, sigmoid head). */
export interface DcnConfig {
  /** Number of cross layers x_{l+1} = x0 * (W x_l + b) + x_l. Default 2. */
  crossLayers: number;
  /** Deep tower hidden widths (ReLU). Default [64, 32]. */
  hidden: number[];
  /** Adam learning rate. Default 0.003. */
  learningRate: number;
  /** L2 penalty on weights. Default 1e-5. */
  l2: number;
  /** Rows per batch. Default 256. */
  batchSize: number;
  /** Passes over the data. Default 3. */
  epochs: number;
  /** PRNG seed. Default 42. */
  seed: number;
}

/** One DCN-V2 cross layer: x_{l+1} = x0 * (x_l W + b) + x_l with W d x d. */
export interface CrossLayer {
  d: number;
  /** d x d, row-major, applied as x_l W (MatMul layout). */
  w: Float32Array;
  /** d. */
  b: Float32Array;
}

/** Trained DCN-V2 weights: logit = head([cross(x0), deep(x0)]), prob = sigmoid(logit), x0 standardized input. */
export interface DcnParams {
  kind: 'dcn-v2';
  config: DcnConfig;
  d: number;
  featureNames: string[];
  /** Standardization of the raw input, length d each. */
  mean: Float32Array;
  std: Float32Array;
  cross: CrossLayer[];
  /** Deep tower (ReLU after every layer). */
  deep: DenseLayer[];
  /** (d + last deep width) x 1 output layer. */
  head: DenseLayer;
}

/** Per-epoch training progress. */
export interface EpochStats {
  epoch: number;
  loss: number;
  seconds: number;
  examplesPerSecond: number;
}

/** Options shared by the trainers. */
export interface TrainOptions {
  /**
   * Two-tower only: train with the query serving uses, user embedding + weight x the recency-weighted
   * mean embedding of the example's recent items (from the item tower as of the epoch's start, held
   * fixed within the epoch), so the user tower learns what the recent items do not already say.
   */
  history?: { weight: number; decay: number };
  /**
   * Start from these parameters instead of a seeded initialisation (warm start from the production
   * model, already laid out on this data's indices: warmTwoTower). Copied, never modified.
   */
  init?: TwoTowerParams | DcnParams;
  /** Called after every epoch (progress output). */
  onEpoch?: (stats: EpochStats) => void;
  /** Called after every batch with the examples done so far in the epoch (progress bars throttle it). */
  onBatch?: (progress: { epoch: number; done: number; total: number }) => void;
}

/** What a trainer returns. */
export interface TrainResult<P> {
  params: P;
  history: EpochStats[];
}
