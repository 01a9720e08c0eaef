/**
 * The two-tower trainer's hottest kernel, C = A B^T (in-batch logits and both gradients, about half
 * of a tower's training time): `matmulABt` (two rows by two columns of C at a time) against the loop it
 * replaced (one `dot` per element), interleaved in the same run on seeded matrices of the training
 * shapes (batch 256, 32-d output).
 *
 *   npx tsx bench/streamrec-models/matmul-kernel.ts [--reps 200] [--rounds 5]
 *
 * Ratio = one-dot-per-element time / matmulABt time (above 1: matmulABt faster). Both must give the same bits.
 */
import { parseArgs } from 'node:util';
import { Rng } from '../../examples/streamrec/src/nn/rng.js';
import { dot, matmulABt } from '../../examples/streamrec/src/nn/linalg.js';

const { values } = parseArgs({ options: { reps: { type: 'string', default: '200' }, rounds: { type: 'string', default: '5' } } });
const reps = Number(values.reps);

function perElement(a: ArrayLike<number>, b: ArrayLike<number>, n: number, m: number, k: number, c: Float64Array): void {
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) c[i * m + j] = dot(a, i * k, b, j * k, k);
}

const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
// logits = U V^T (256 x 256 over 32), du = G V (256 x 32 over 256), a dense layer (256 x 64 over 58).
const SHAPES = [
  ['logits', 256, 256, 32],
  ['gradient', 256, 32, 256],
  ['dense layer', 256, 64, 58],
] as const;

for (const [name, n, m, k] of SHAPES) {
  const rng = new Rng(n * m + k);
  const a = Float64Array.from(rng.normalArray(n * k, 1)),
    b = Float64Array.from(rng.normalArray(m * k, 1));
  const c1 = new Float64Array(n * m),
    c2 = new Float64Array(n * m);
  perElement(a, b, n, m, k, c1);
  matmulABt(a, b, n, m, k, c2);
  if (!c1.every((x, i) => Object.is(x, c2[i]))) throw new Error(`matmulABt differs from one dot per element for ${name}`);
  const times = { perElement: [] as number[], matmulABt: [] as number[] };
  for (let r = 0; r < Number(values.rounds); r++) {
    for (const [label, fn] of [
      ['perElement', () => perElement(a, b, n, m, k, c1)],
      ['matmulABt', () => matmulABt(a, b, n, m, k, c2)],
    ] as const) {
      const t0 = performance.now();
      for (let q = 0; q < reps; q++) fn();
      times[label].push((performance.now() - t0) / reps);
    }
  }
  const p = median(times.perElement),
    s = median(times.matmulABt);
  console.log(
    `${name} (${n} x ${m} over ${k}): one dot per element ${p.toFixed(3)} ms, matmulABt ${s.toFixed(3)} ms, ratio ${(p / s).toFixed(2)}x (median of ${values.rounds} interleaved rounds, same bits)`,
  );
}
