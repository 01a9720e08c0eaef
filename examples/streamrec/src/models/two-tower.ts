import { Adam, slot, type Slot } from '../nn/adam.js';
import { columnStats, initDense } from '../nn/dense.js';
import { matmulABt, transpose } from '../nn/linalg.js';
import { MlpRunner } from '../nn/mlp.js';
import { checkFinite, checkIndexes, checkLength, ModelInputError } from './model-input-error.js';
import { Rng } from '../nn/rng.js';
import { historyQuery } from '../retrieval/history-query.js';
import type {
  DcnParams,
  DenseLayer,
  EpochStats,
  TrainOptions,
  TrainResult,
  TwoTowerConfig,
  TwoTowerData,
  TwoTowerParams,
} from './types.js';

/** Defaults of the two-tower model, tuned on MovieLens latest-small. */
export const DEFAULT_TWO_TOWER_CONFIG: TwoTowerConfig = {
  embeddingDim: 32,
  hidden: [64],
  outputDim: 32,
  temperature: 0.05,
  learningRate: 0.005,
  l2: 1e-6,
  batchSize: 256,
  epochs: 5,
  userIdDropout: 0.05,
  seed: 42,
};

/** Checks the shapes and values of two-tower training data; throws ModelInputError naming the bad field. */
export function validateTwoTowerData(data: TwoTowerData): void {
  const m = 'two-tower';
  const n = data.userIndex.length;
  if (!(data.numUsers > 0 && data.numItems > 1)) {
    throw new ModelInputError(
      `${m}: numUsers=${data.numUsers}, numItems=${data.numItems}; need at least 1 user and 2 items.`,
      { model: m },
      'Check the training split is not empty.',
    );
  }
  if (n < 2)
    throw new ModelInputError(
      `${m}: ${n} positive pairs; need at least 2.`,
      { model: m, field: 'userIndex' },
      'Check the training split is not empty.',
    );
  checkLength(m, 'itemIndex', data.itemIndex, n, 'n');
  checkLength(m, 'userFeatures', data.userFeatures, n * data.dUser, 'n x dUser');
  checkLength(m, 'itemFeatures', data.itemFeatures, data.numItems * data.dItem, 'numItems x dItem');
  if (data.itemLogQ) checkLength(m, 'itemLogQ', data.itemLogQ, data.numItems, 'numItems');
  if (data.weight) checkLength(m, 'weight', data.weight, n, 'n');
  checkIndexes(m, 'userIndex', data.userIndex, data.numUsers);
  checkIndexes(m, 'itemIndex', data.itemIndex, data.numItems);
  checkFinite(m, 'userFeatures', data.userFeatures, data.dUser);
  checkFinite(m, 'itemFeatures', data.itemFeatures, data.dItem);
  if (data.itemLogQ) checkFinite(m, 'itemLogQ', data.itemLogQ, 1);
  if (data.weight) checkFinite(m, 'weight', data.weight, 1);
}

/** log(count / n) of each item among the positives: the in-batch sampling probability used for log-Q correction. */
export function itemLogQFromCounts(itemIndex: Int32Array, numItems: number): Float32Array {
  const counts = new Float64Array(numItems);
  for (let i = 0; i < itemIndex.length; i++) counts[itemIndex[i]!] = counts[itemIndex[i]!]! + 1;
  const out = new Float32Array(numItems);
  const n = Math.max(itemIndex.length, 1);
  for (let j = 0; j < numItems; j++) out[j] = Math.log(Math.max(counts[j]!, 1) / n);
  return out;
}

function towerLayers(rng: Rng, inDim: number, hidden: number[], outDim: number): DenseLayer[] {
  const dims = [inDim, ...hidden, outDim];
  return dims.slice(1).map((d, i) => initDense(rng, dims[i]!, d, i === dims.length - 2 ? 1 : 2));
}

/** Fresh, seeded parameters; standardization statistics come from the data. */
export function initTwoTower(data: TwoTowerData, config: TwoTowerConfig): TwoTowerParams {
  const rng = new Rng(config.seed);
  const e = config.embeddingDim;
  const us = columnStats(data.userFeatures, data.userIndex.length, data.dUser);
  const is = columnStats(data.itemFeatures, data.numItems, data.dItem);
  return {
    kind: 'two-tower',
    config,
    numUsers: data.numUsers,
    numItems: data.numItems,
    dUser: data.dUser,
    dItem: data.dItem,
    userEmbedding: rng.normalArray((data.numUsers + 1) * e, 0.1),
    itemEmbedding: rng.normalArray((data.numItems + 1) * e, 0.1),
    userFeatureMean: us.mean,
    userFeatureStd: us.std,
    itemFeatureMean: is.mean,
    itemFeatureStd: is.std,
    userMlp: towerLayers(rng, e + data.dUser, config.hidden, config.outputDim),
    itemMlp: towerLayers(rng, e + data.dItem, config.hidden, config.outputDim),
  };
}

/** A copy of warm-start parameters with the run's config, after checking they fit the data. */
function warmParams(init: TwoTowerParams | DcnParams, data: TwoTowerData, cfg: TwoTowerConfig): TwoTowerParams {
  const fits =
    init.kind === 'two-tower' &&
    init.numUsers === data.numUsers &&
    init.numItems === data.numItems &&
    init.dUser === data.dUser &&
    init.dItem === data.dItem &&
    init.config.embeddingDim === cfg.embeddingDim &&
    init.config.outputDim === cfg.outputDim &&
    JSON.stringify(init.config.hidden) === JSON.stringify(cfg.hidden);
  if (!fits || init.kind !== 'two-tower')
    throw new ModelInputError(
      'two-tower: the warm-start parameters do not fit the training data or the tower config (sizes, embedding or layer widths differ).',
      { model: 'two-tower', field: 'init' },
      'Lay them out on this data with warmTwoTower, or train from a seeded initialisation (no init).',
    );
  return { ...structuredClone(init), config: cfg };
}

/** One tower (id embedding + standardized features -> MLP -> L2 normalize) with its training buffers. */
class Tower {
  readonly x0: Float64Array;
  readonly dx0: Float64Array;
  readonly out: Float64Array;
  readonly dz: Float64Array;
  private readonly norms: Float64Array;
  readonly mlp: MlpRunner;
  readonly embSlot: Slot;
  readonly layerSlots: { w: Slot; b: Slot }[];
  private readonly inDim: number;
  private ids: Int32Array = new Int32Array(0);

  constructor(
    emb: Float32Array,
    private readonly e: number,
    layers: DenseLayer[],
    private readonly mean: Float32Array,
    private readonly std: Float32Array,
    private readonly dF: number,
    maxRows: number,
  ) {
    this.inDim = e + dF;
    const o = layers[layers.length - 1]!.outDim;
    this.x0 = new Float64Array(maxRows * this.inDim);
    this.dx0 = new Float64Array(maxRows * this.inDim);
    this.out = new Float64Array(maxRows * o);
    this.dz = new Float64Array(maxRows * o);
    this.norms = new Float64Array(maxRows);
    this.mlp = new MlpRunner(layers, maxRows);
    this.embSlot = slot(emb, e);
    this.layerSlots = layers.map((l) => ({ w: slot(l.w), b: slot(l.b) }));
  }

  get outDim(): number {
    return this.mlp.layers[this.mlp.layers.length - 1]!.outDim;
  }

  /** Fills `out` with the normalized embeddings of n rows; feature row r of the batch is `feats[featRows[r]]`. */
  forward(ids: Int32Array, feats: Float32Array, featRows: Int32Array, n: number): Float64Array {
    this.ids = ids;
    const { e, dF, inDim, mean, std, x0 } = this;
    const emb = this.embSlot.p;
    for (let r = 0; r < n; r++) {
      const base = r * inDim;
      const eb = ids[r]! * e;
      for (let k = 0; k < e; k++) x0[base + k] = emb[eb + k]!;
      const fb = featRows[r]! * dF;
      for (let k = 0; k < dF; k++) x0[base + e + k] = (feats[fb + k]! - mean[k]!) / std[k]!;
    }
    const z = this.mlp.forward(x0, n);
    const o = this.outDim;
    for (let r = 0; r < n; r++) {
      let s = 0;
      for (let k = 0; k < o; k++) s += z[r * o + k]! * z[r * o + k]!;
      const norm = Math.max(Math.sqrt(s), 1e-12);
      this.norms[r] = norm;
      for (let k = 0; k < o; k++) this.out[r * o + k] = z[r * o + k]! / norm;
    }
    return this.out;
  }

  /** Back-propagates d(loss)/d(out) of the last forward into the slots' gradients. */
  backward(dOut: Float64Array, n: number): void {
    const o = this.outDim;
    const { out, dz, norms } = this;
    for (let r = 0; r < n; r++) {
      let dot = 0;
      for (let k = 0; k < o; k++) dot += out[r * o + k]! * dOut[r * o + k]!;
      const inv = 1 / norms[r]!;
      for (let k = 0; k < o; k++) dz[r * o + k] = (dOut[r * o + k]! - out[r * o + k]! * dot) * inv;
    }
    this.mlp.backward(
      this.x0,
      n,
      dz,
      this.layerSlots.map((s) => s.w.g),
      this.layerSlots.map((s) => s.b.g),
      this.dx0,
    );
    const { e, inDim, dx0 } = this;
    const g = this.embSlot.g;
    for (let r = 0; r < n; r++) {
      const id = this.ids[r]!;
      this.embSlot.rows!.add(id);
      for (let k = 0; k < e; k++) g[id * e + k] = g[id * e + k]! + dx0[r * inDim + k]!;
    }
  }

  slots(): Slot[] {
    return [this.embSlot, ...this.layerSlots.flatMap((s) => [s.w, s.b])];
  }
}

/**
 * The two-tower model in training: computes the in-batch sampled-softmax loss with log-Q correction
 * and its gradients. Exposed so tests can check the gradients against finite differences.
 */
export class TwoTowerTrainer {
  readonly user: Tower;
  readonly item: Tower;
  private readonly logits: Float64Array;
  private readonly du: Float64Array;
  private readonly dv: Float64Array;
  private readonly itemRows: Int32Array;
  private readonly vt: Float64Array;
  private readonly ut: Float64Array;
  private readonly gt: Float64Array;
  private readonly logQ: Float32Array;
  private readonly query: Float64Array;

  constructor(
    readonly params: TwoTowerParams,
    private readonly data: TwoTowerData,
    maxBatch: number,
  ) {
    const c = params.config;
    this.user = new Tower(
      params.userEmbedding,
      c.embeddingDim,
      params.userMlp,
      params.userFeatureMean,
      params.userFeatureStd,
      params.dUser,
      maxBatch,
    );
    this.item = new Tower(
      params.itemEmbedding,
      c.embeddingDim,
      params.itemMlp,
      params.itemFeatureMean,
      params.itemFeatureStd,
      params.dItem,
      maxBatch,
    );
    this.logits = new Float64Array(maxBatch * maxBatch);
    this.du = new Float64Array(maxBatch * c.outputDim);
    this.dv = new Float64Array(maxBatch * c.outputDim);
    this.itemRows = new Int32Array(maxBatch);
    this.vt = new Float64Array(maxBatch * c.outputDim);
    this.ut = new Float64Array(maxBatch * c.outputDim);
    this.gt = new Float64Array(maxBatch * maxBatch);
    this.logQ = data.itemLogQ ?? itemLogQFromCounts(data.itemIndex, data.numItems);
    this.query = new Float64Array(maxBatch * c.outputDim);
  }

  /** All trainable tensors, for the optimizer and gradient checks. */
  slots(): Slot[] {
    return [...this.user.slots(), ...this.item.slots()];
  }

  /**
   * Weighted mean in-batch softmax loss over `examples` (indexes into the data); `userIds` overrides the
   * users' embedding rows (id dropout). With `grad`, adds the gradients to the slots.
   */
  loss(examples: Int32Array, userIds: Int32Array, grad: boolean, history?: Float32Array): number {
    const n = examples.length;
    const { data, logits, du, dv, itemRows, logQ } = this;
    const T = this.params.config.temperature;
    const o = this.params.config.outputDim;
    for (let r = 0; r < n; r++) itemRows[r] = data.itemIndex[examples[r]!]!;
    let u = this.user.forward(userIds, data.userFeatures, examples, n);
    if (history) {
      // The query is u + h (h fixed per example): d(q.v)/du = v, so du is unchanged; dv uses q.
      const q = this.query;
      for (let r = 0; r < n; r++) {
        const hb = examples[r]! * o;
        for (let k = 0; k < o; k++) q[r * o + k] = u[r * o + k]! + history[hb + k]!;
      }
      u = q;
    }
    const v = this.item.forward(itemRows, data.itemFeatures, itemRows, n);
    let totalW = 0;
    for (let i = 0; i < n; i++) totalW += data.weight ? data.weight[examples[i]!]! : 1;
    let loss = 0;
    // logits[i, j] = u_i . v_j / T - logQ_j; duplicates of the row's positive item are masked.
    matmulABt(u, v, n, n, o, logits);
    for (let i = 0; i < n; i++) {
      const row = i * n;
      let max = -Infinity;
      for (let j = 0; j < n; j++) {
        // Another example's positive for the same item is not a negative: mask it.
        const l = j !== i && itemRows[j] === itemRows[i] ? -Infinity : logits[row + j]! / T - logQ[itemRows[j]!]!;
        logits[row + j] = l;
        if (l > max) max = l;
      }
      const own = logits[row + i]!;
      // The row now holds exp(l - max), so the gradient pass below divides instead of exponentiating again.
      let z = 0;
      for (let j = 0; j < n; j++) {
        const ex = Math.exp(logits[row + j]! - max);
        logits[row + j] = ex;
        z += ex;
      }
      const w = (data.weight ? data.weight[examples[i]!]! : 1) / totalW;
      loss -= w * (own - max - Math.log(z));
      if (!grad) continue;
      // Overwrite the row with d(loss)/d(u_i . v_j) = w_i (p_ij - [i = j]) / T.
      for (let j = 0; j < n; j++) {
        const p = logits[row + j]! / z;
        logits[row + j] = (w * (p - (i === j ? 1 : 0))) / T;
      }
    }
    if (grad) {
      // du = G V and dv = G^T U, as dot products over transposed operands.
      const { vt, ut, gt } = this;
      matmulABt(logits, transpose(v, n, o, vt), n, o, n, du);
      matmulABt(transpose(logits, n, n, gt), transpose(u, n, o, ut), n, o, n, dv);
    }
    if (grad) {
      this.user.backward(du, n);
      this.item.backward(dv, n);
    }
    return loss;
  }
}

/** Resolves a partial config against the defaults. */
export function twoTowerConfig(config: Partial<TwoTowerConfig> = {}): TwoTowerConfig {
  return { ...DEFAULT_TWO_TOWER_CONFIG, ...config };
}

/**
 * Trains the two-tower retrieval model with in-batch sampled softmax, log-Q correction and Adam.
 * Same data and seed give the same parameters.
 *
 * @example
 * const { params } = trainTwoTower(data, { epochs: 5, seed: 42 }, { onEpoch: (s) => console.log(s) });
 */
export function trainTwoTower(
  data: TwoTowerData,
  config: Partial<TwoTowerConfig> = {},
  opts: TrainOptions = {},
): TrainResult<TwoTowerParams> {
  validateTwoTowerData(data);
  const cfg = twoTowerConfig(config);
  const params = opts.init ? warmParams(opts.init, data, cfg) : initTwoTower(data, cfg);
  const n = data.userIndex.length;
  const B = Math.min(cfg.batchSize, n);
  const trainer = new TwoTowerTrainer(params, data, B);
  const adam = new Adam(trainer.slots(), { lr: cfg.learningRate, l2: cfg.l2 });
  const rng = new Rng(cfg.seed ^ 0x9e3779b9);
  const order = new Int32Array(n).map((_, i) => i);
  const userIds = new Int32Array(B);
  const history: EpochStats[] = [];
  const useHistory = opts.history && opts.history.weight > 0 && data.recentItems ? opts.history : undefined;
  for (let epoch = 1; epoch <= cfg.epochs; epoch++) {
    const t0 = performance.now();
    // The first epoch learns the item tower alone; later ones see the recent items' term.
    const terms = useHistory && epoch > 1 ? historyTerms(params, data, useHistory) : undefined;
    rng.shuffle(order);
    let lossSum = 0;
    let batches = 0;
    for (let start = 0; start + 2 <= n; start += B) {
      const batch = order.subarray(start, Math.min(start + B, n));
      for (let r = 0; r < batch.length; r++) {
        userIds[r] = rng.next() < cfg.userIdDropout ? data.numUsers : data.userIndex[batch[r]!]!;
      }
      lossSum += trainer.loss(batch, userIds, true, terms);
      adam.step();
      batches++;
      opts.onBatch?.({ epoch, done: start + batch.length, total: n });
    }
    const seconds = (performance.now() - t0) / 1000;
    const stats = { epoch, loss: lossSum / Math.max(batches, 1), seconds, examplesPerSecond: n / seconds };
    history.push(stats);
    opts.onEpoch?.(stats);
  }
  return { params, history };
}

// weight x the recency-weighted mean embedding of each example's recent items (n x outputDim).
function historyTerms(params: TwoTowerParams, data: TwoTowerData, h: { weight: number; decay: number }): Float32Array {
  const o = params.config.outputDim;
  const items = itemTowerForward(params, data.itemFeatures);
  const n = data.userIndex.length;
  const out = new Float32Array(n * o);
  const zero = new Float32Array(o);
  const q = new Float32Array(o);
  for (let i = 0; i < n; i++) {
    historyQuery(zero, 0, o, items, data.recentItems![i]!, h.weight, q, h.decay);
    out.set(q, i * o);
  }
  return out;
}

function runTower(
  emb: Float32Array,
  e: number,
  layers: DenseLayer[],
  mean: Float32Array,
  std: Float32Array,
  dF: number,
  ids: Int32Array,
  feats: Float32Array,
  n: number,
): Float32Array {
  const chunk = Math.min(Math.max(n, 1), 1024);
  const tower = new Tower(emb, e, layers, mean, std, dF, chunk);
  const o = tower.outDim;
  const out = new Float32Array(n * o);
  for (let s = 0; s < n; s += chunk) {
    const m = Math.min(chunk, n - s);
    const rows = new Int32Array(m).map((_, r) => s + r);
    const v = tower.forward(ids.subarray(s, s + m), feats, rows, m);
    for (let i = 0; i < m * o; i++) out[s * o + i] = v[i]!;
  }
  return out;
}

/**
 * User embeddings (n x outputDim, L2-normalized) for user indexes and their raw features (n x dUser).
 * An index outside [0, numUsers) (e.g. -1 for a new user) uses the out-of-vocabulary row.
 */
export function userTowerForward(params: TwoTowerParams, userIndex: Int32Array, userFeatures: Float32Array): Float32Array {
  const n = userIndex.length;
  checkLength('two-tower', 'userFeatures', userFeatures, n * params.dUser, 'n x dUser');
  const ids = userIndex.map((u) => (u >= 0 && u < params.numUsers ? u : params.numUsers));
  return runTower(
    params.userEmbedding,
    params.config.embeddingDim,
    params.userMlp,
    params.userFeatureMean,
    params.userFeatureStd,
    params.dUser,
    ids,
    userFeatures,
    n,
  );
}

/** Item embeddings (numItems x outputDim, L2-normalized) of the whole catalog from its raw features (numItems x dItem). */
export function itemTowerForward(params: TwoTowerParams, itemFeatures: Float32Array, itemIndex?: Int32Array): Float32Array {
  const ids = itemIndex ?? new Int32Array(params.numItems).map((_, i) => i);
  const n = ids.length;
  checkLength('two-tower', 'itemFeatures', itemFeatures, n * params.dItem, 'n x dItem');
  const safe = ids.map((i) => (i >= 0 && i < params.numItems ? i : params.numItems));
  return runTower(
    params.itemEmbedding,
    params.config.embeddingDim,
    params.itemMlp,
    params.itemFeatureMean,
    params.itemFeatureStd,
    params.dItem,
    safe,
    itemFeatures,
    n,
  );
}
