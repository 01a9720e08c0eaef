/**
 * Full-catalog scoring, the inner loop of query tuning, ranker-example sampling and evaluation:
 * the pipeline's `scoreAll` (four rows at a time) against the plain loop it replaced (one row, one
 * dot product), interleaved in the same run over seeded embeddings, MovieLens-sized (9,742 items).
 *
 *   npx tsx bench/streamrec-models/score-catalog.ts [--dims 32,64] [--queries 2000] [--rounds 5]
 *
 * Ratio = plain time / scoreAll time (above 1: scoreAll faster). Both must give the same bits.
 */
import { parseArgs } from 'node:util';
import { Rng } from '../../examples/streamrec/src/nn/rng.js';
import { scoreAll } from '../../examples/streamrec/src/nn/matvec.js';

const { values } = parseArgs({
  options: {
    dims: { type: 'string', default: '32,64' },
    queries: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '5' },
  },
});
const ITEMS = 9742;
const queries = Number(values.queries);

function plain(matrix: Float32Array, dim: number, vec: Float32Array, out: Float32Array): Float32Array {
  for (let i = 0, o = 0; i < out.length; i++, o += dim) {
    let s = 0;
    for (let f = 0; f < dim; f++) s += matrix[o + f]! * vec[f]!;
    out[i] = s;
  }
  return out;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

for (const dim of values.dims.split(',').map(Number)) {
  const rng = new Rng(dim);
  const matrix = rng.normalArray(ITEMS * dim, 1);
  const qs = rng.normalArray(queries * dim, 1);
  const a = new Float32Array(ITEMS),
    b = new Float32Array(ITEMS);
  for (let q = 0; q < 50; q++) {
    const v = qs.subarray(q * dim, (q + 1) * dim);
    plain(matrix, dim, v, a);
    scoreAll(matrix, dim, v, 0, b);
    if (!a.every((x, i) => x === b[i])) throw new Error(`scoreAll differs from the plain loop at dim ${dim}`);
  }
  const times = { plain: [] as number[], scoreAll: [] as number[] };
  for (let r = 0; r < Number(values.rounds); r++) {
    for (const [name, fn] of [
      ['plain', (v: Float32Array) => plain(matrix, dim, v, a)],
      ['scoreAll', (v: Float32Array) => scoreAll(matrix, dim, v, 0, b)],
    ] as const) {
      const t0 = performance.now();
      for (let q = 0; q < queries; q++) fn(qs.subarray(q * dim, (q + 1) * dim));
      times[name].push((performance.now() - t0) / queries);
    }
  }
  const p = median(times.plain),
    s = median(times.scoreAll);
  console.log(
    `dim ${dim}: plain loop ${p.toFixed(3)} ms/query, scoreAll ${s.toFixed(3)} ms/query, ratio ${(p / s).toFixed(2)}x (median of ${values.rounds} interleaved rounds, ${ITEMS} items, same bits)`,
  );
}
