/** One trainable tensor with its gradient and Adam moments; `rowWidth` marks an embedding table updated row by row. */
export interface Slot {
  p: Float32Array;
  g: Float64Array;
  m: Float32Array;
  v: Float32Array;
  /** Set for embedding tables: only rows listed in `rows` are updated (lazy Adam), which keeps a step O(batch). */
  rowWidth?: number;
  rows?: Set<number>;
}

/** Wraps a parameter array into a slot. */
export function slot(p: Float32Array, rowWidth?: number): Slot {
  const s: Slot = { p, g: new Float64Array(p.length), m: new Float32Array(p.length), v: new Float32Array(p.length) };
  if (rowWidth !== undefined) {
    s.rowWidth = rowWidth;
    s.rows = new Set();
  }
  return s;
}

/** Adam hyper-parameters. */
export interface AdamOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** L2 penalty added to the gradient (coupled weight decay). */
  l2?: number;
}

/** Adam (Kingma & Ba) with lazy row updates for embedding tables; zeroes the gradients it consumes. */
export class Adam {
  private t = 0;
  private readonly b1: number;
  private readonly b2: number;
  private readonly eps: number;

  constructor(
    private readonly slots: Slot[],
    private readonly opts: AdamOptions,
  ) {
    this.b1 = opts.beta1 ?? 0.9;
    this.b2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
  }

  /** Applies one update from the accumulated gradients. */
  step(): void {
    this.t++;
    const { b1, b2, eps } = this;
    const lr = this.opts.lr;
    const l2 = this.opts.l2 ?? 0;
    const c1 = 1 - Math.pow(b1, this.t);
    const c2 = 1 - Math.pow(b2, this.t);
    const alpha = (lr * Math.sqrt(c2)) / c1;
    for (const s of this.slots) {
      const { p, g, m, v } = s;
      const update = (i: number): void => {
        const gi = g[i]! + l2 * p[i]!;
        const mi = (m[i] = b1 * m[i]! + (1 - b1) * gi);
        const vi = (v[i] = b2 * v[i]! + (1 - b2) * gi * gi);
        p[i] = p[i]! - (alpha * mi) / (Math.sqrt(vi) + eps);
        g[i] = 0;
      };
      if (s.rows && s.rowWidth) {
        const w = s.rowWidth;
        for (const r of s.rows) for (let i = r * w, e = i + w; i < e; i++) update(i);
        s.rows.clear();
      } else {
        for (let i = 0; i < p.length; i++) update(i);
      }
    }
  }
}
