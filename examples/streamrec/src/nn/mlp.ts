import { denseBackward, denseForward, reluBackwardInPlace, reluInPlace, type DenseLayer } from './dense.js';

/**
 * Forward/backward of a ReLU MLP (linear last layer unless `reluLast`) over a batch, with buffers sized once for
 * the largest batch so a training epoch allocates nothing.
 */
export class MlpRunner {
  /** acts[l] = output of layer l (after ReLU except the last). */
  readonly acts: Float64Array[];
  private readonly grads: Float64Array[];

  constructor(
    readonly layers: DenseLayer[],
    maxRows: number,
    private readonly reluLast = false,
  ) {
    this.acts = layers.map((l) => new Float64Array(maxRows * l.outDim));
    this.grads = layers.map((l) => new Float64Array(maxRows * l.outDim));
  }

  /** Runs the MLP on n rows of x0 and returns the last layer's output buffer. */
  forward(x0: Float64Array, n: number): Float64Array {
    let input: Float64Array = x0;
    const last = this.layers.length - 1;
    this.layers.forEach((layer, l) => {
      const out = this.acts[l]!;
      denseForward(input, n, layer, out);
      if (l < last || this.reluLast) reluInPlace(out, n * layer.outDim);
      input = out;
    });
    return input;
  }

  /** Back-propagates dOut (n x outDim of the last layer) into the weight gradients and, when given, dx0. */
  backward(x0: Float64Array, n: number, dOut: Float64Array, gradW: Float64Array[], gradB: Float64Array[], dx0: Float64Array | null): void {
    let g = dOut;
    const last = this.layers.length - 1;
    if (this.reluLast && last >= 0) {
      const size = n * this.layers[last]!.outDim;
      g = this.grads[last]!;
      g.set(dOut.subarray(0, size));
      reluBackwardInPlace(g, this.acts[last]!, size);
    }
    for (let l = last; l >= 0; l--) {
      const layer = this.layers[l]!;
      const input = l === 0 ? x0 : this.acts[l - 1]!;
      const dIn = l === 0 ? dx0 : this.grads[l - 1]!;
      denseBackward(input, n, layer, g, gradW[l]!, gradB[l]!, dIn);
      if (l > 0) {
        reluBackwardInPlace(dIn!, this.acts[l - 1]!, n * layer.inDim);
        g = dIn!;
      }
    }
  }
}
