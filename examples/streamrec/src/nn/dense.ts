import type { Rng } from './rng.js';
import { matmulABt, transpose } from './linalg.js';

/** A fully connected layer y = x W + b, with W stored row-major as inDim x outDim (ONNX MatMul layout). */
export interface DenseLayer {
  inDim: number;
  outDim: number;
  /** inDim x outDim, row-major. */
  w: Float32Array;
  /** outDim. */
  b: Float32Array;
}

/** He-initialized dense layer (ReLU follows most layers). */
export function initDense(rng: Rng, inDim: number, outDim: number, gain = 2): DenseLayer {
  return { inDim, outDim, w: rng.normalArray(inDim * outDim, Math.sqrt(gain / inDim)), b: new Float32Array(outDim) };
}

/** Scratch buffers reused across calls (training is single-threaded). */
let scratchA = new Float64Array(0);
let scratchB = new Float64Array(0);
function scratch(which: 'a' | 'b', size: number): Float64Array {
  if (which === 'a') {
    if (scratchA.length < size) scratchA = new Float64Array(size);
    return scratchA;
  }
  if (scratchB.length < size) scratchB = new Float64Array(size);
  return scratchB;
}

function toFloat64(src: Float32Array, dst: Float64Array): Float64Array {
  for (let i = 0; i < src.length; i++) dst[i] = src[i]!;
  return dst;
}

/** out (n x o) = x (n x i) W (i x o) + b, as dot products against W transposed. */
export function denseForward(x: ArrayLike<number>, n: number, layer: DenseLayer, out: Float64Array): void {
  const { inDim: di, outDim: d0, w, b } = layer;
  const wt = transpose(w, di, d0, scratch('a', di * d0));
  matmulABt(x, wt, n, d0, di, out);
  for (let r = 0; r < n; r++) {
    const o = r * d0;
    for (let j = 0; j < d0; j++) out[o + j] = out[o + j]! + b[j]!;
  }
}

/** Accumulates dW += x^T dOut and db += sum(dOut), and writes dX = dOut W^T when dx is given. */
export function denseBackward(
  x: ArrayLike<number>,
  n: number,
  layer: DenseLayer,
  dOut: Float64Array,
  gw: Float64Array,
  gb: Float64Array,
  dx: Float64Array | null,
): void {
  const { inDim: di, outDim: d0, w } = layer;
  for (let r = 0; r < n; r++) {
    const o = r * d0;
    for (let j = 0; j < d0; j++) gb[j] = gb[j]! + dOut[o + j]!;
  }
  // dW[k, j] = sum_r x[r, k] dOut[r, j]: dot products of columns, so transpose both once.
  const xt = transpose(x, n, di, scratch('a', n * di));
  const gt = transpose(dOut, n, d0, scratch('b', n * d0));
  matmulABt(xt, gt, di, d0, n, gw, true);
  // dX[r, k] = dot(dOut row r, W row k). W is a Float32Array: copied to float64 first (exact), so
  // matmulABt only ever sees Float64Arrays. One element type keeps V8's loads in it monomorphic,
  // 1.2-1.4x faster than after it has also seen Float32Arrays (same bits either way).
  if (dx) matmulABt(dOut, toFloat64(w, scratch('a', di * d0)), n, di, d0, dx);
}

/** In-place ReLU. */
export function reluInPlace(a: Float64Array, len: number): void {
  for (let i = 0; i < len; i++) if (a[i]! < 0) a[i] = 0;
}

/** Zeroes gradient entries where the ReLU output was zero. */
export function reluBackwardInPlace(g: Float64Array, activated: Float64Array, len: number): void {
  for (let i = 0; i < len; i++) if (activated[i]! <= 0) g[i] = 0;
}

/** Column means and standard deviations of an n x d matrix; a constant column gets std 1 so it standardizes to 0. */
export function columnStats(x: Float32Array, n: number, d: number): { mean: Float32Array; std: Float32Array } {
  const mean = new Float32Array(d);
  const std = new Float32Array(d);
  if (d === 0) return { mean, std };
  const s = new Float64Array(d);
  const s2 = new Float64Array(d);
  for (let r = 0; r < n; r++) {
    for (let k = 0; k < d; k++) {
      const v = x[r * d + k]!;
      s[k] = s[k]! + v;
      s2[k] = s2[k]! + v * v;
    }
  }
  for (let k = 0; k < d; k++) {
    const m = n > 0 ? s[k]! / n : 0;
    mean[k] = m;
    const variance = n > 0 ? s2[k]! / n - m * m : 0;
    const sd = Math.sqrt(Math.max(variance, 0));
    std[k] = sd > 1e-6 ? sd : 1;
  }
  return { mean, std };
}
