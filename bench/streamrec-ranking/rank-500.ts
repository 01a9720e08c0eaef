/**
 * The ranking stage in process (issue 21): 500 candidates' request signals and request-relative
 * columns written into the batch (writeRequestSignals over a MovieLens-sized timeline,
 * writeRelativeColumns), the pipeline's ranker scored by onnxruntime (1
 * thread, the served graph exported from trained parameters) and blended with the retrieval score
 * (BlendedRanker at w 0.5). Floor, same run: BlendedRanker at w 0, which serving uses when the
 * tuned weight is 0: it reads the retrieval-score column and runs no model.
 *
 *   npx tsx bench/streamrec-ranking/rank-500.ts [--candidates 500] [--requests 3000] [--rounds 3] [--dcn]
 *
 * Prints p50 / p99 per request of each, and the ratio ranker / floor. Target: ranker p99 <= 2 ms.
 */
import { parseArgs } from 'node:util';
import { OnnxRanker } from '@frec/model-serving/ranking';
import { exportRankerOnnx } from '../../examples/streamrec/src/export/index.js';
import { trainRanker } from '../../examples/streamrec/src/models/index.js';
import { Rng } from '../../examples/streamrec/src/nn/rng.js';
import { halfLivesMs, ItemTimeline, writeRequestSignals } from '../../examples/streamrec/src/ranking/request-signals.js';
import { BlendedRanker } from '../../examples/streamrec/src/serve/blended-ranker.js';
import {
  D_USER,
  RANKER_FEATURE_NAMES,
  SIGNALS_AT,
  writeRelativeColumns,
} from '../../examples/streamrec/src/training-sets/build-training-sets.js';
import { DEFAULT_STEP_CONFIGS } from '../../examples/streamrec/src/pipeline/config.js';

const { values } = parseArgs({
  options: {
    candidates: { type: 'string', default: '500' },
    requests: { type: 'string', default: '3000' },
    rounds: { type: 'string', default: '3' },
    dcn: { type: 'boolean', default: false },
  },
});
const N = Number(values.candidates);
const REQUESTS = Number(values.requests);
const ITEMS = 9742;
const EVENTS = 100_836;
const d = RANKER_FEATURE_NAMES.length;
const rng = new Rng(7);

// A MovieLens-sized timeline: 100k events over ~20 years, popularity skewed like ratings are.
const items = Int32Array.from({ length: EVENTS }, () => Math.floor(ITEMS * Math.pow(rng.next(), 3)));
const times = Float64Array.from({ length: EVENTS }, (_, i) => 8.3e11 + i * 6.3e6);
const timeline = new ItemTimeline(items, times, ITEMS, halfLivesMs(times));
const nowMs = times[EVENTS - 1]! + 86_400_000;

// The pipeline's ranker (its trainRanker settings: linear listwise since 2026-12; --dcn for the
// 2-cross-layer, 64-32 DCN-V2) trained one epoch on random rows: timing only.
const train = {
  n: 2000,
  d,
  x: rng.normalArray(2000 * d, 1),
  y: Float32Array.from({ length: 2000 }, () => (rng.next() < 0.2 ? 1 : 0)),
  featureNames: [...RANKER_FEATURE_NAMES],
};
const shape = values.dcn ? {} : DEFAULT_STEP_CONFIGS.trainRanker.dcn;
const params = trainRanker(train, { ...shape, epochs: 1, seed: 1 }).params;
const onnx = await OnnxRanker.load({ model: exportRankerOnnx(params), version: 'bench' });
const ranker = new BlendedRanker(onnx, 0.5);
const floor = new BlendedRanker(onnx, 0);

const base = rng.normalArray(N * d, 1);
const candidates = Int32Array.from({ length: N }, () => Math.floor(rng.next() * ITEMS));
const co = Float32Array.from({ length: N }, () => (rng.next() < 0.2 ? rng.next() * 5 : 0));

async function request(r: BlendedRanker): Promise<number> {
  const t0 = performance.now();
  const x = Float32Array.from(base);
  for (let i = 0; i < N; i++) writeRequestSignals(x, i * d + SIGNALS_AT, i * d, i * d + D_USER, timeline, candidates[i]!, nowMs, co[i]!);
  writeRelativeColumns(x, 0, N);
  const s = await r.score({ size: N, inputs: { features: { data: x, dims: [N, d] } } });
  if (s.length !== N) throw new Error('short score');
  return performance.now() - t0;
}

const q = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
for (let i = 0; i < 200; i++) await request(ranker);
const all = { ranker: [] as number[], floor: [] as number[] };
for (let round = 0; round < Number(values.rounds); round++)
  for (let i = 0; i < REQUESTS; i++) {
    // Interleaved, so load on the machine hits both alike.
    all.ranker.push(await request(ranker));
    all.floor.push(await request(floor));
  }
const fmt = (v: number): string => v.toFixed(3);
console.log(`ranking ${N} candidates (d = ${d}), ${all.ranker.length} requests each, interleaved`);
console.log(`  signals + ranker (onnxruntime, 1 thread) + blend:  p50 ${fmt(q(all.ranker, 0.5))} ms, p99 ${fmt(q(all.ranker, 0.99))} ms`);
console.log(`  floor, weight 0 (signals + retrieval column):       p50 ${fmt(q(all.floor, 0.5))} ms, p99 ${fmt(q(all.floor, 0.99))} ms`);
console.log(
  `  ratio ranker / floor: p50 ${(q(all.ranker, 0.5) / q(all.floor, 0.5)).toFixed(2)}x, p99 ${(q(all.ranker, 0.99) / q(all.floor, 0.99)).toFixed(2)}x`,
);
console.log(`  target p99 <= 2 ms: ${q(all.ranker, 0.99) <= 2 ? 'met' : 'NOT met'}`);
await onnx.close();
