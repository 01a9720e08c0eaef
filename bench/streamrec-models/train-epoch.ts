/**
 * One training epoch of each StreamRec model in typed arrays (the project's trainers) against the
 * same architecture in @tensorflow/tfjs (cpu = pure JS, wasm = WASM+SIMD backend).
 *
 *   npx tsx bench/streamrec-models/train-epoch.ts [--n 80000] [--ranker-rows 160000] [--tf-batches 40] [--backends cpu,wasm]
 *
 * Ratios are tfjs time / typed-array time (above 1: typed arrays faster).
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { trainRanker, trainTwoTower } from '../../examples/streamrec/src/models/index.js';
import { benchRankerData, benchTwoTowerData, SHAPES } from './shapes.js';
import { tfjsDcnStep, tfjsTwoTowerStep } from './tfjs-models.js';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: String(SHAPES.n) },
    'ranker-rows': { type: 'string', default: String(SHAPES.rankerRows) },
    'tf-batches': { type: 'string', default: '40' },
    backends: { type: 'string', default: 'cpu,wasm' },
  },
});
const n = Number(values.n);
const rankerRows = Number(values['ranker-rows']);
const tfBatches = Number(values['tf-batches']);
const B = 256;

const tt = benchTwoTowerData(n);
const rk = benchRankerData(rankerRows);
const mem0 = process.memoryUsage().rss;
// CPU seconds next to wall seconds: the bench machine's 2 cores are shared, so wall time is noisy.
const cpuOf = (f: () => unknown): number => {
  const c = process.cpuUsage();
  f();
  const u = process.cpuUsage(c);
  return (u.user + u.system) / 1e6;
};
let ttEpoch = 0;
let rkEpoch = 0;
const ttCpu = cpuOf(() => (ttEpoch = trainTwoTower(tt, { epochs: 1, batchSize: B }).history[0]!.seconds));
const rkCpu = cpuOf(() => (rkEpoch = trainRanker(rk, { epochs: 1, batchSize: B }).history[0]!.seconds));
console.log(
  `node ${process.version}, ${n} two-tower pairs (${SHAPES.numUsers} users, ${SHAPES.numItems} items), ${rankerRows} ranker rows x ${SHAPES.rankerD}, batch ${B}`,
);
console.log(
  `typed arrays  two-tower epoch ${ttEpoch.toFixed(2)} s wall / ${ttCpu.toFixed(2)} s cpu (${Math.round(n / ttEpoch)} ex/s)  dcn-v2 epoch ${rkEpoch.toFixed(2)} s wall / ${rkCpu.toFixed(2)} s cpu (${Math.round(rankerRows / rkEpoch)} rows/s)  rss +${((process.memoryUsage().rss - mem0) / 2 ** 20).toFixed(0)} MiB`,
);

for (const backend of values.backends.split(',')) {
  await tf.setBackend(backend);
  await tf.ready();
  const time = (step: (s: number) => number, batches: number): { wall: number; cpu: number } => {
    step(0); // warm-up (kernel compilation, allocation)
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    for (let b = 1; b <= batches; b++) step(b * B);
    const c = process.cpuUsage(c0);
    return { wall: (performance.now() - t0) / 1000 / batches, cpu: (c.user + c.system) / 1e6 / batches };
  };
  const attempt = (step: () => (s: number) => number): { wall: number; cpu: number } | string => {
    try {
      return time(step(), tfBatches);
    } catch (e) {
      return `fails: ${(e as Error).message.split('\n')[0]}`;
    }
  };
  const ttStep = attempt(() => tfjsTwoTowerStep(tt, { e: 32, hidden: 64, out: 32, batch: B, temperature: 0.05 }));
  const rkStep = attempt(() => tfjsDcnStep(rk, { batch: B, cross: 2, hidden: [64, 32] }));
  const show = (step: { wall: number; cpu: number } | string, rows: number, wall: number, cpu: number): string => {
    if (typeof step === 'string') return step;
    const w = (step.wall * rows) / B;
    const c = (step.cpu * rows) / B;
    return `${w.toFixed(2)} s wall / ${c.toFixed(2)} s cpu (typed arrays ${(w / wall).toFixed(2)}x wall, ${(c / cpu).toFixed(2)}x cpu)`;
  };
  console.log(
    `tfjs-${backend.padEnd(4)}  two-tower epoch ${show(ttStep, n, ttEpoch, ttCpu)}  dcn-v2 epoch ${show(rkStep, rankerRows, rkEpoch, rkCpu)}  [${tfBatches} batches extrapolated]`,
  );
}
