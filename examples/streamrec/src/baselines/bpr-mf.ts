import type { Interactions } from '../data/interactions.js';
import { mulberry32 } from '../nn/rng.js';

/** Hyper-parameters of BPR matrix factorization. */
export interface BprConfig {
  factors: number;
  epochs: number;
  learningRate: number;
  /** L2 penalty on the factors touched by each update. */
  reg: number;
  seed: number;
}

/** Trained BPR factors: score(u, i) = P[u] . Q[i] + b[i]. */
export interface BprModel {
  kind: 'bpr-mf';
  config: BprConfig;
  numUsers: number;
  numItems: number;
  /** numUsers x factors, row-major. */
  userFactors: Float32Array;
  /** numItems x factors, row-major. */
  itemFactors: Float32Array;
  itemBias: Float32Array;
}

export const DEFAULT_BPR: BprConfig = { factors: 64, epochs: 25, learningRate: 0.05, reg: 0.005, seed: 42 };

/**
 * Trains BPR (Rendle et al. 2009) with SGD on typed arrays: for each training event, one uniformly
 * sampled item the user has not interacted with is pushed below it. Seeded and reproducible.
 */
export function trainBpr(
  data: Interactions,
  train: Int32Array,
  options: Partial<BprConfig> & { onEpoch?: (epoch: number, loss: number) => void } = {},
): BprModel {
  const cfg: BprConfig = { ...DEFAULT_BPR, ...options };
  const rand = mulberry32(cfg.seed);
  const nU = data.userIds.length,
    nI = data.itemIds.length,
    k = cfg.factors;
  const P = new Float32Array(nU * k),
    Q = new Float32Array(nI * k),
    b = new Float32Array(nI);
  for (let i = 0; i < P.length; i++) P[i] = (rand() - 0.5) * 0.1;
  for (let i = 0; i < Q.length; i++) Q[i] = (rand() - 0.5) * 0.1;
  const seen = new Map<number, Set<number>>();
  for (const e of train) {
    const u = data.user[e]!;
    let s = seen.get(u);
    if (!s) seen.set(u, (s = new Set()));
    s.add(data.item[e]!);
  }
  const lr = cfg.learningRate,
    reg = cfg.reg;
  for (let epoch = 0; epoch < cfg.epochs; epoch++) {
    let loss = 0;
    for (let step = 0; step < train.length; step++) {
      const e = train[Math.floor(rand() * train.length)]!;
      const u = data.user[e]!,
        i = data.item[e]!;
      const s = seen.get(u)!;
      let j = Math.floor(rand() * nI);
      while (s.has(j)) j = Math.floor(rand() * nI);
      const pu = u * k,
        qi = i * k,
        qj = j * k;
      let x = b[i]! - b[j]!;
      for (let f = 0; f < k; f++) x += P[pu + f]! * (Q[qi + f]! - Q[qj + f]!);
      const sig = 1 / (1 + Math.exp(x)); // d(-log sigmoid(x))/dx = -sigmoid(-x)
      loss += Math.log1p(Math.exp(-x));
      b[i] = b[i]! + lr * (sig - reg * b[i]!);
      b[j] = b[j]! + lr * (-sig - reg * b[j]!);
      for (let f = 0; f < k; f++) {
        const p = P[pu + f]!,
          a = Q[qi + f]!,
          c = Q[qj + f]!;
        P[pu + f] = p + lr * (sig * (a - c) - reg * p);
        Q[qi + f] = a + lr * (sig * p - reg * a);
        Q[qj + f] = c + lr * (-sig * p - reg * c);
      }
    }
    options.onEpoch?.(epoch + 1, loss / Math.max(1, train.length));
  }
  return { kind: 'bpr-mf', config: cfg, numUsers: nU, numItems: nI, userFactors: P, itemFactors: Q, itemBias: b };
}

/** Scores every item for one user. */
export function bprScores(model: BprModel, user: number, out = new Float32Array(model.numItems)): Float32Array {
  const k = model.config.factors,
    pu = user * k;
  for (let i = 0; i < model.numItems; i++) {
    let s = model.itemBias[i]!;
    const qi = i * k;
    for (let f = 0; f < k; f++) s += model.userFactors[pu + f]! * model.itemFactors[qi + f]!;
    out[i] = s;
  }
  return out;
}
