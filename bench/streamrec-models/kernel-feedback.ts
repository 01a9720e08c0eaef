/**
 * Why `denseBackward` copies its Float32Array weights to float64 before `matmulABt`: V8 keeps one
 * set of type feedback per function, and a kernel that has seen both Float32Array and Float64Array
 * operands compiles to slower, polymorphic loads. This times the shared kernel after it has seen a
 * Float32Array operand (as every call site did before the copy) against a fresh copy of the same
 * code that has only seen Float64Arrays, on the two-tower's shapes, and checks both give the same bits.
 *
 *   npx tsx bench/streamrec-models/kernel-feedback.ts [--reps 200]
 *
 * Run it in a fresh process: the "shared" kernel is polluted on purpose below.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { matmulABt } from '../../examples/streamrec/src/nn/linalg.js';
import { Rng } from '../../examples/streamrec/src/nn/rng.js';

const { values } = parseArgs({ options: { reps: { type: 'string', default: '200' } } });
const reps = Number(values.reps);

// The same source compiled again: a new function, with its own feedback.
const src = readFileSync(new URL('../../examples/streamrec/src/nn/linalg.ts', import.meta.url), 'utf8');
const strip = (code: string): string => code.replace(/: ArrayLike<number>|: Float64Array|: number|: void/g, '').replace(/!/g, '');
const dotSrc = strip(src.slice(src.indexOf('export function dot'), src.indexOf('/** dst')).replace('export function dot', 'function dot'));
const mmSrc = strip(src.slice(src.indexOf('export function matmulABt')).replace('export function matmulABt', 'function mm'));
const fresh = new Function(`${dotSrc}\n${mmSrc}\nreturn mm;`)() as typeof matmulABt;

const rng = new Rng(3);
const f64 = (n: number): Float64Array => Float64Array.from(rng.normalArray(n, 1));
// What denseBackward's dX product used to pass: Float32Array weights.
for (let r = 0; r < 50; r++) matmulABt(f64(256 * 64), rng.normalArray(58 * 64, 1), 256, 58, 64, new Float64Array(256 * 58));

const SHAPES = [
  ['logits', 256, 256, 32],
  ['gradient', 256, 32, 256],
  ['dense layer', 256, 64, 58],
] as const;
console.log('| C = A B^T (n x m over k) | shared kernel, also fed Float32Array (ms) | float64-only kernel (ms) | ratio |');
console.log('|---|---:|---:|---:|');
for (const [name, n, m, k] of SHAPES) {
  const a = f64(n * k),
    b = f64(m * k),
    c1 = new Float64Array(n * m),
    c2 = new Float64Array(n * m);
  const times: [number[], number[]] = [[], []];
  for (let round = 0; round < 5; round++) {
    let t0 = performance.now();
    for (let q = 0; q < reps; q++) matmulABt(a, b, n, m, k, c1);
    times[0].push((performance.now() - t0) / reps);
    t0 = performance.now();
    for (let q = 0; q < reps; q++) fresh(a, b, n, m, k, c2);
    times[1].push((performance.now() - t0) / reps);
  }
  if (!c1.every((x, i) => Object.is(x, c2[i]))) throw new Error(`the two kernels differ on ${name}`);
  const med = (xs: number[]): number => [...xs].sort((x, y) => x - y)[2]!;
  console.log(
    `| ${name} (${n} x ${m} over ${k}) | ${med(times[0]).toFixed(3)} | ${med(times[1]).toFixed(3)} | ${(med(times[0]) / med(times[1])).toFixed(2)}x |`,
  );
}
