import { Adam, slot, type Slot } from '../nn/adam.js';
import { columnStats, denseBackward, denseForward, initDense } from '../nn/dense.js';
import { MlpRunner } from '../nn/mlp.js';
import { checkFinite, checkLength, ModelInputError } from './model-input-error.js';
import { Rng } from '../nn/rng.js';
import type { CrossLayer, DcnConfig, DcnParams, EpochStats, RankerData, TrainOptions, TrainResult } from './types.js';

/** Defaults of the DCN-V2 ranker. */
export const DEFAULT_DCN_CONFIG: DcnConfig = {
  crossLayers: 2,
  hidden: [64, 32],
  learningRate: 0.003,
  l2: 1e-5,
  batchSize: 256,
  epochs: 3,
  seed: 42,
};

/** Resolves a partial config against the defaults. */
export function dcnConfig(config: Partial<DcnConfig> = {}): DcnConfig {
  return { ...DEFAULT_DCN_CONFIG, ...config };
}

/** Checks the shapes and values of ranker training data; throws ModelInputError naming the bad field. */
export function validateRankerData(data: RankerData): void {
  const m = 'dcn-v2';
  if (!(data.n > 0 && data.d > 0)) {
    throw new ModelInputError(
      `${m}: n=${data.n}, d=${data.d}; need at least one row and one column.`,
      { model: m },
      'Check the ranking training set is not empty.',
    );
  }
  checkLength(m, 'x', data.x, data.n * data.d, 'n x d');
  checkLength(m, 'y', data.y, data.n, 'n');
  if (data.weight) checkLength(m, 'weight', data.weight, data.n, 'n');
  if (data.group) checkLength(m, 'group', data.group, data.n, 'n');
  if (data.offset) checkLength(m, 'offset', data.offset, data.n, 'n');
  if (data.featureNames && data.featureNames.length !== data.d) {
    throw new ModelInputError(
      `${m}: featureNames has ${data.featureNames.length} names for d=${data.d} columns.`,
      { model: m, field: 'featureNames' },
      'Give one name per column of x.',
    );
  }
  checkFinite(m, 'x', data.x, data.d);
  for (let i = 0; i < data.n; i++) {
    const y = data.y[i]!;
    if (y !== 0 && y !== 1) {
      throw new ModelInputError(
        `${m}: y[${i}] = ${y}; labels must be 0 or 1.`,
        { model: m, field: 'y', row: i },
        'Label positives 1 and retrieved negatives 0.',
      );
    }
  }
}

/** Fresh, seeded parameters; standardization statistics come from the data. */
export function initDcn(data: RankerData, config: DcnConfig): DcnParams {
  const rng = new Rng(config.seed);
  const d = data.d;
  const { mean, std } = columnStats(data.x, data.n, d);
  const cross: CrossLayer[] = [];
  for (let l = 0; l < config.crossLayers; l++) {
    cross.push({ d, w: rng.normalArray(d * d, Math.sqrt(1 / d)), b: new Float32Array(d) });
  }
  const dims = [d, ...config.hidden];
  const deep = dims.slice(1).map((o, i) => initDense(rng, dims[i]!, o));
  const headIn = d + (config.hidden.length > 0 ? config.hidden[config.hidden.length - 1]! : 0);
  return {
    kind: 'dcn-v2',
    config,
    d,
    featureNames: data.featureNames ?? Array.from({ length: d }, (_, i) => `f${i}`),
    mean,
    std,
    cross,
    deep,
    head: initDense(rng, headIn, 1, 1),
  };
}

/** The DCN-V2 ranker in training: forward, binary cross-entropy and gradients over a batch. */
export class DcnTrainer {
  private readonly x0: Float64Array;
  /** xs[l] = input of cross layer l; xs[L] = cross output. */
  private readonly xs: Float64Array[];
  private readonly as: Float64Array[];
  private readonly deep: MlpRunner | null;
  private readonly headIn: Float64Array;
  private readonly logit: Float64Array;
  private readonly dHeadIn: Float64Array;
  private readonly dLogit: Float64Array;
  private readonly gx: Float64Array;
  private readonly ga: Float64Array;
  private readonly dDeepOut: Float64Array;
  private readonly dxl: Float64Array;
  readonly crossSlots: { w: Slot; b: Slot }[];
  readonly deepSlots: { w: Slot; b: Slot }[];
  readonly headSlots: { w: Slot; b: Slot };
  /** Probabilities of the last forward pass. */
  readonly prob: Float64Array;

  constructor(
    readonly params: DcnParams,
    maxRows: number,
  ) {
    const { d } = params;
    const L = params.cross.length;
    this.x0 = new Float64Array(maxRows * d);
    this.xs = Array.from({ length: L + 1 }, () => new Float64Array(maxRows * d));
    this.as = Array.from({ length: L }, () => new Float64Array(maxRows * d));
    this.deep = params.deep.length > 0 ? new MlpRunner(params.deep, maxRows, true) : null;
    this.headIn = new Float64Array(maxRows * params.head.inDim);
    this.dHeadIn = new Float64Array(maxRows * params.head.inDim);
    this.logit = new Float64Array(maxRows);
    this.dLogit = new Float64Array(maxRows);
    this.prob = new Float64Array(maxRows);
    this.gx = new Float64Array(maxRows * d);
    this.ga = new Float64Array(maxRows * d);
    this.dxl = new Float64Array(maxRows * d);
    const deepOut = params.deep.length > 0 ? params.deep[params.deep.length - 1]!.outDim : 0;
    this.dDeepOut = new Float64Array(maxRows * deepOut);
    this.crossSlots = params.cross.map((c) => ({ w: slot(c.w), b: slot(c.b) }));
    this.deepSlots = params.deep.map((l) => ({ w: slot(l.w), b: slot(l.b) }));
    this.headSlots = { w: slot(params.head.w), b: slot(params.head.b) };
  }

  /** All trainable tensors, for the optimizer and gradient checks. */
  slots(): Slot[] {
    return [...this.crossSlots, ...this.deepSlots, this.headSlots].flatMap((s) => [s.w, s.b]);
  }

  /** Computes logits and probabilities of n rows of raw x starting at row `offset`. */
  forward(x: Float32Array, offset: number, n: number): Float64Array {
    const { d, mean, std, cross, head } = this.params;
    const x0 = this.x0;
    for (let r = 0; r < n; r++) {
      const src = (offset + r) * d;
      for (let k = 0; k < d; k++) x0[r * d + k] = (x[src + k]! - mean[k]!) / std[k]!;
    }
    this.xs[0]!.set(x0.subarray(0, n * d));
    cross.forEach((c, l) => {
      const xl = this.xs[l]!;
      const a = this.as[l]!;
      denseForward(xl, n, { inDim: d, outDim: d, w: c.w, b: c.b }, a);
      const next = this.xs[l + 1]!;
      for (let i = 0; i < n * d; i++) next[i] = x0[i]! * a[i]! + xl[i]!;
    });
    const xc = this.xs[cross.length]!;
    const deepOut = this.deep ? this.deep.forward(x0, n) : null;
    const dd = this.deep ? this.params.deep[this.params.deep.length - 1]!.outDim : 0;
    const hIn = head.inDim;
    for (let r = 0; r < n; r++) {
      for (let k = 0; k < d; k++) this.headIn[r * hIn + k] = xc[r * d + k]!;
      for (let k = 0; k < dd; k++) this.headIn[r * hIn + d + k] = deepOut![r * dd + k]!;
    }
    denseForward(this.headIn, n, head, this.logit);
    for (let r = 0; r < n; r++) this.prob[r] = 1 / (1 + Math.exp(-this.logit[r]!));
    return this.prob;
  }

  /** Weighted mean binary cross-entropy of rows [offset, offset+n); with `grad`, adds gradients to the slots. */
  loss(data: RankerData, offset: number, n: number, grad: boolean, rows?: Int32Array): number {
    const x = rows ? gatherRows(data.x, data.d, rows, n) : data.x;
    const off = rows ? 0 : offset;
    this.forward(x, off, n);
    let totalW = 0;
    const wOf = (r: number): number => (data.weight ? data.weight[rows ? rows[r]! : offset + r]! : 1);
    for (let r = 0; r < n; r++) totalW += wOf(r);
    let loss = 0;
    for (let r = 0; r < n; r++) {
      const y = data.y[rows ? rows[r]! : offset + r]!;
      const z = this.logit[r]!;
      // log(1 + e^-|z|) form keeps BCE finite for large logits.
      const l = Math.max(z, 0) - z * y + Math.log1p(Math.exp(-Math.abs(z)));
      const w = wOf(r) / totalW;
      loss += w * l;
      this.dLogit[r] = w * (this.prob[r]! - y);
    }
    if (grad) this.backward(n);
    return loss;
  }

  /**
   * Listwise loss of whole requests: `rows` (n of them) hold `groups.length` requests back to back,
   * request g being rows [groups[g], groups[g + 1] or n). Each request's loss is the softmax
   * cross-entropy of its positives against all its rows, so features shared by a request's rows
   * (the user, the context) get no gradient: only what orders its candidates is learned. With
   * `data.offset` each row's softmax input is its logit plus its offset: the model learns a
   * correction to the offset's order (a residual on the retrieval score).
   */
  listLoss(data: RankerData, rows: Int32Array, n: number, groups: Int32Array, grad: boolean): number {
    this.forward(gatherRows(data.x, data.d, rows, n), 0, n);
    const off = data.offset;
    const G = groups.length;
    let loss = 0;
    for (let g = 0; g < G; g++) {
      const a = groups[g]!,
        b = g + 1 < G ? groups[g + 1]! : n;
      let max = -Infinity,
        pos = 0;
      const z = (r: number): number => this.logit[r]! + (off ? off[rows[r]!]! : 0);
      for (let r = a; r < b; r++) {
        max = Math.max(max, z(r));
        pos += data.y[rows[r]!]!;
      }
      let sum = 0;
      for (let r = a; r < b; r++) sum += Math.exp(z(r) - max);
      const logSum = max + Math.log(sum);
      for (let r = a; r < b; r++) {
        const y = pos > 0 ? data.y[rows[r]!]! / pos : 0;
        loss -= (y * (z(r) - logSum)) / G;
        this.dLogit[r] = pos > 0 ? (Math.exp(z(r) - logSum) - y) / G : 0;
      }
    }
    if (grad) this.backward(n);
    return loss;
  }

  private backward(n: number): void {
    const { d, cross, head } = this.params;
    const hIn = head.inDim;
    denseBackward(this.headIn, n, head, this.dLogit, this.headSlots.w.g, this.headSlots.b.g, this.dHeadIn);
    const dd = hIn - d;
    const gx = this.gx;
    for (let r = 0; r < n; r++) {
      for (let k = 0; k < d; k++) gx[r * d + k] = this.dHeadIn[r * hIn + k]!;
      for (let k = 0; k < dd; k++) this.dDeepOut[r * dd + k] = this.dHeadIn[r * hIn + d + k]!;
    }
    if (this.deep) {
      this.deep.backward(
        this.x0,
        n,
        this.dDeepOut,
        this.deepSlots.map((s) => s.w.g),
        this.deepSlots.map((s) => s.b.g),
        null,
      );
    }
    // x_{l+1} = x0 * a_l + x_l with a_l = x_l W + b: da = g * x0, dx_l = g + da W^T (x0 is not trained).
    for (let l = cross.length - 1; l >= 0; l--) {
      const c = cross[l]!;
      const ga = this.ga;
      for (let i = 0; i < n * d; i++) ga[i] = gx[i]! * this.x0[i]!;
      // Layer 0's input is x0, which has no trainable parameters upstream: skip its input gradient.
      const dxl = l > 0 ? this.dxl : null;
      denseBackward(this.xs[l]!, n, { inDim: d, outDim: d, w: c.w, b: c.b }, ga, this.crossSlots[l]!.w.g, this.crossSlots[l]!.b.g, dxl);
      if (dxl) for (let i = 0; i < n * d; i++) gx[i] = gx[i]! + dxl[i]!;
    }
  }
}

function gatherRows(x: Float32Array, d: number, rows: Int32Array, n: number): Float32Array {
  const out = new Float32Array(n * d);
  for (let r = 0; r < n; r++) out.set(x.subarray(rows[r]! * d, rows[r]! * d + d), r * d);
  return out;
}

/**
 * Trains the DCN-V2 ranker (parallel cross network and deep tower, sigmoid output) with binary
 * cross-entropy and Adam on positives and retrieved negatives. Same data and seed give the same parameters.
 *
 * @example
 * const { params } = trainRanker({ n, d, x, y, featureNames }, { epochs: 3 });
 */
export function trainRanker(data: RankerData, config: Partial<DcnConfig> = {}, opts: TrainOptions = {}): TrainResult<DcnParams> {
  validateRankerData(data);
  const cfg = dcnConfig(config);
  if (data.group) return trainListwise({ ...data, group: data.group }, cfg, opts);
  const params = startDcn(data, cfg, opts);
  const B = Math.min(cfg.batchSize, data.n);
  const trainer = new DcnTrainer(params, B);
  const adam = new Adam(trainer.slots(), { lr: cfg.learningRate, l2: cfg.l2 });
  const rng = new Rng(cfg.seed ^ 0x85ebca6b);
  const order = new Int32Array(data.n).map((_, i) => i);
  const history: EpochStats[] = [];
  for (let epoch = 1; epoch <= cfg.epochs; epoch++) {
    const t0 = performance.now();
    rng.shuffle(order);
    let lossSum = 0;
    let batches = 0;
    for (let start = 0; start < data.n; start += B) {
      const m = Math.min(B, data.n - start);
      lossSum += trainer.loss(data, 0, m, true, order.subarray(start, start + m));
      adam.step();
      batches++;
      opts.onBatch?.({ epoch, done: start + m, total: data.n });
    }
    const seconds = (performance.now() - t0) / 1000;
    const stats = { epoch, loss: lossSum / batches, seconds, examplesPerSecond: data.n / seconds };
    history.push(stats);
    opts.onEpoch?.(stats);
  }
  return { params, history };
}

/** Start row of each request (data.group runs), in row order. */
function groupStarts(group: Int32Array): Int32Array {
  const starts: number[] = [];
  for (let i = 0; i < group.length; i++) if (i === 0 || group[i] !== group[i - 1]) starts.push(i);
  return Int32Array.from(starts);
}

/**
 * The parameters training starts from: a copy of `opts.init` (warm start; its standardization is
 * kept, as its weights were learned on it) or a seeded initialisation.
 */
function startDcn(data: RankerData, cfg: DcnConfig, opts: TrainOptions): DcnParams {
  const init = opts.init;
  if (!init) return initDcn(data, cfg);
  const fits =
    init.kind === 'dcn-v2' &&
    init.d === data.d &&
    init.cross.length === cfg.crossLayers &&
    JSON.stringify(init.deep.map((l) => l.outDim)) === JSON.stringify(cfg.hidden);
  if (!fits || init.kind !== 'dcn-v2')
    throw new ModelInputError(
      'dcn-v2: the warm-start parameters do not fit the ranker data or config (feature count, cross layers or deep widths differ).',
      { model: 'dcn-v2', field: 'init' },
      'Warm-start only from a ranker trained on the same features and config, or train from a seeded initialisation (no init).',
    );
  return { ...structuredClone(init), config: cfg };
}

/** trainRanker with the listwise loss: batches of whole requests, shuffled by request. */
function trainListwise(data: RankerData & { group: Int32Array }, cfg: DcnConfig, opts: TrainOptions): TrainResult<DcnParams> {
  const params = startDcn(data, cfg, opts);
  // A residual starts as no correction at all: the offset's order, which it may then only improve on.
  if (data.offset && !opts.init) params.head.w.fill(0);
  const starts = groupStarts(data.group);
  const ends = Int32Array.from(starts, (_, g) => (g + 1 < starts.length ? starts[g + 1]! : data.n));
  let largest = 0;
  for (let g = 0; g < starts.length; g++) largest = Math.max(largest, ends[g]! - starts[g]!);
  const B = Math.min(cfg.batchSize, data.n);
  // A batch closes once it reaches B rows, so it holds at most B - 1 + the largest request.
  const trainer = new DcnTrainer(params, B - 1 + largest);
  const adam = new Adam(trainer.slots(), { lr: cfg.learningRate, l2: cfg.l2 });
  const rng = new Rng(cfg.seed ^ 0x85ebca6b);
  const order = new Int32Array(starts.length).map((_, i) => i);
  const rows = new Int32Array(B - 1 + largest);
  const groups: number[] = [];
  const history: EpochStats[] = [];
  for (let epoch = 1; epoch <= cfg.epochs; epoch++) {
    const t0 = performance.now();
    rng.shuffle(order);
    let lossSum = 0,
      batches = 0,
      done = 0,
      n = 0;
    const flush = (): void => {
      lossSum += trainer.listLoss(data, rows, n, Int32Array.from(groups), true);
      adam.step();
      batches++;
      done += n;
      opts.onBatch?.({ epoch, done, total: data.n });
      n = 0;
      groups.length = 0;
    };
    for (const g of order) {
      groups.push(n);
      for (let r = starts[g]!; r < ends[g]!; r++) rows[n++] = r;
      if (n >= B) flush();
    }
    if (n > 0) flush();
    const seconds = (performance.now() - t0) / 1000;
    const stats = { epoch, loss: lossSum / batches, seconds, examplesPerSecond: data.n / seconds };
    history.push(stats);
    opts.onEpoch?.(stats);
  }
  return { params, history };
}

/** Click probabilities of n rows of raw features x (n x d), in row order. */
export function rankerPredict(params: DcnParams, x: Float32Array, n = x.length / params.d): Float32Array {
  checkLength('dcn-v2', 'x', x, n * params.d, 'n x d');
  const chunk = Math.max(1, Math.min(n, 2048));
  const trainer = new DcnTrainer(params, chunk);
  const out = new Float32Array(n);
  for (let s = 0; s < n; s += chunk) {
    const m = Math.min(chunk, n - s);
    const p = trainer.forward(x, s, m);
    for (let r = 0; r < m; r++) out[s + r] = p[r]!;
  }
  return out;
}
