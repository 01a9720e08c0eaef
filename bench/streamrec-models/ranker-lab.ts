/**
 * Ranker variants on the lab's cache (ranker-lab-build.ts), chosen on validation only (issue 21).
 * Each variant is trained 2-fold cross-fitted by user on the cached held-out events' pools and
 * scores the validation users of the other fold; the blend weight follows the pipeline's rule
 * (tuneBlend: best mean NDCG@20 over BLEND_GRID, kept only if its gain over retrieval alone is above
 * one standard error). A variant's test figure is printed at the weight that rule chose; nothing is
 * chosen on it.
 *
 *   nice -n 5 npx tsx bench/streamrec-models/ranker-lab.ts [--protocol global_time] [--variants a,b] [--dir examples/streamrec/.state/ranker-lab]
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ndcgAtK } from '../../examples/streamrec/src/eval/metrics.js';
import { rankerPredict, trainRanker, type DcnConfig, type RankerData } from '../../examples/streamrec/src/models/index.js';
import { mulberry32 } from '../../examples/streamrec/src/nn/rng.js';
import { foldOf } from '../../examples/streamrec/src/pipeline/steps/ranker-set.js';
import { BLEND_GRID } from '../../examples/streamrec/src/pipeline/two-stage/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { values } = parseArgs({
  options: {
    protocol: { type: 'string', default: 'global_time,per_user_temporal' },
    variants: { type: 'string', default: '' },
    dir: { type: 'string', default: path.join(root, 'examples/streamrec/.state/ranker-lab') },
    seed: { type: 'string', default: '42' },
  },
});
const seed = Number(values.seed);

interface Request {
  user: number;
  atMs: number;
  start: number;
  end: number;
  relevant: number[];
}
interface PoolSet {
  n: number;
  d: number;
  featureNames: string[];
  x: Float32Array;
  items: Int32Array;
  requests: Request[];
}

function f32(file: string): Float32Array {
  const b = readFileSync(file);
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
}
function i32(file: string): Int32Array {
  const b = readFileSync(file);
  return new Int32Array(b.buffer, b.byteOffset, b.byteLength / 4);
}
function loadPool(dir: string, name: string): PoolSet {
  const meta = JSON.parse(readFileSync(path.join(dir, `${name}.json`), 'utf8')) as Omit<PoolSet, 'x' | 'items'>;
  return { ...meta, x: f32(path.join(dir, `${name}.x.f32`)), items: i32(path.join(dir, `${name}.items.i32`)) };
}

/** Request-relative columns, computable from a served batch alone: z-score and log rank of the retrieval score and of each decayed popularity within the request. */
function relativeColumns(set: PoolSet, cols: number[]): { x: Float32Array; d: number; names: string[] } {
  const k = cols.length * 2;
  const d = set.d + k;
  const x = new Float32Array(set.n * d);
  for (let r = 0; r < set.n; r++) x.set(set.x.subarray(r * set.d, (r + 1) * set.d), r * d);
  for (const q of set.requests) {
    const m = q.end - q.start;
    cols.forEach((c, j) => {
      const v = Float64Array.from({ length: m }, (_, i) => set.x[(q.start + i) * set.d + c]!);
      let mean = 0;
      for (const t of v) mean += t;
      mean /= m;
      let s = 0;
      for (const t of v) s += (t - mean) * (t - mean);
      const sd = Math.sqrt(s / m) || 1;
      const order = Array.from({ length: m }, (_, i) => i).sort((a, b) => v[b]! - v[a]!);
      const rank = new Int32Array(m);
      order.forEach((i, p) => (rank[i] = p));
      for (let i = 0; i < m; i++) {
        x[(q.start + i) * d + set.d + 2 * j] = (v[i]! - mean) / sd;
        x[(q.start + i) * d + set.d + 2 * j + 1] = Math.log1p(rank[i]!);
      }
    });
  }
  const names = cols.flatMap((c) => [`z_${set.featureNames[c]}`, `log_rank_${set.featureNames[c]}`]);
  return { x, d, names };
}

/** z-scored retrieval score of each row within its request (the residual's offset, before its scale). */
function zRetrieval(set: PoolSet): Float32Array {
  const out = new Float32Array(set.n);
  for (const q of set.requests) {
    const m = q.end - q.start;
    let mean = 0;
    for (let i = q.start; i < q.end; i++) mean += set.x[i * set.d + set.d - 1]!;
    mean /= m;
    let s = 0;
    for (let i = q.start; i < q.end; i++) s += (set.x[i * set.d + set.d - 1]! - mean) ** 2;
    const sd = Math.sqrt(s / m) || 1;
    for (let i = q.start; i < q.end; i++) out[i] = (set.x[i * set.d + set.d - 1]! - mean) / sd;
  }
  return out;
}

/** The scale a of a z(retrieval) that maximizes the positives' listwise log-likelihood on `reqs` (golden-section search on [0, 20]). */
function fitScale(z: Float32Array, set: PoolSet, reqs: readonly Request[]): number {
  const ll = (a: number): number => {
    let s = 0;
    for (const q of reqs) {
      let max = -Infinity;
      for (let i = q.start; i < q.end; i++) max = Math.max(max, a * z[i]!);
      let sum = 0;
      for (let i = q.start; i < q.end; i++) sum += Math.exp(a * z[i]! - max);
      const rel = new Set(q.relevant);
      for (let i = q.start; i < q.end; i++) if (rel.has(set.items[i]!)) s += a * z[i]! - max - Math.log(sum);
    }
    return s;
  };
  let lo = 0,
    hi = 20;
  const g = (Math.sqrt(5) - 1) / 2;
  for (let it = 0; it < 40; it++) {
    const a = hi - g * (hi - lo),
      b = lo + g * (hi - lo);
    if (ll(a) > ll(b)) hi = b;
    else lo = a;
  }
  return (lo + hi) / 2;
}

/** A variant: which rows train, with which columns, loss and model. */
interface Variant {
  name: string;
  /** Negatives per training request: all of its pool, or this many drawn uniformly from it. */
  negatives: number | 'all';
  residual: boolean;
  relative: boolean;
  dcn: Partial<DcnConfig>;
  /** Use the pipeline's own ranker set (8 sampled negatives, 20% random items) instead of the pools. */
  sampled?: boolean;
}

const VARIANTS: Variant[] = [
  { name: 'pipeline-set (8 neg, listwise)', negatives: 8, residual: false, relative: false, dcn: {}, sampled: true },
  { name: 'pool 8 neg listwise', negatives: 8, residual: false, relative: false, dcn: {} },
  { name: 'pool 32 neg listwise', negatives: 32, residual: false, relative: false, dcn: {} },
  { name: 'pool all listwise', negatives: 'all', residual: false, relative: false, dcn: {} },
  { name: 'pool 32 residual', negatives: 32, residual: true, relative: false, dcn: {} },
  { name: 'pool all residual', negatives: 'all', residual: true, relative: false, dcn: {} },
  { name: 'pool 32 residual+relative', negatives: 32, residual: true, relative: true, dcn: {} },
  { name: 'pool all residual+relative', negatives: 'all', residual: true, relative: true, dcn: {} },
  { name: 'pool all residual linear', negatives: 'all', residual: true, relative: true, dcn: { crossLayers: 0, hidden: [] } },
  { name: 'pool all residual+relative 6ep', negatives: 'all', residual: true, relative: true, dcn: { epochs: 6 } },
  { name: 'pool all residual linear, no relative', negatives: 'all', residual: true, relative: false, dcn: { crossLayers: 0, hidden: [] } },
  { name: 'pool all listwise linear+relative', negatives: 'all', residual: false, relative: true, dcn: { crossLayers: 0, hidden: [] } },
  { name: 'pool all residual mlp16+relative', negatives: 'all', residual: true, relative: true, dcn: { crossLayers: 0, hidden: [16] } },
  { name: 'pool 32 residual linear+relative', negatives: 32, residual: true, relative: true, dcn: { crossLayers: 0, hidden: [] } },
  { name: 'pool all listwise DCN+relative', negatives: 'all', residual: false, relative: true, dcn: {} },
  {
    name: 'pool all listwise linear+relative, 6 epochs',
    negatives: 'all',
    residual: false,
    relative: true,
    dcn: { crossLayers: 0, hidden: [], epochs: 6 },
  },
];

/** Rows of the training pools for one variant: requests whose user passes `keepUser`, each its positive(s) and its negatives. */
function trainingData(
  pool: PoolSet,
  x: Float32Array,
  d: number,
  names: string[],
  offset: Float32Array | null,
  v: Variant,
  keepUser: (u: number) => boolean,
): RankerData & { group: Int32Array } {
  const rand = mulberry32(seed ^ 0x77);
  const rows: number[] = [];
  const group: number[] = [];
  const labels: number[] = [];
  let g = 0;
  for (const q of pool.requests) {
    if (!keepUser(q.user)) continue;
    const rel = new Set(q.relevant);
    const pos: number[] = [],
      neg: number[] = [];
    for (let i = q.start; i < q.end; i++) (rel.has(pool.items[i]!) ? pos : neg).push(i);
    if (pos.length === 0) continue;
    let chosen = neg;
    if (v.negatives !== 'all') {
      chosen = [];
      for (let k = 0; k < v.negatives; k++) chosen.push(neg[Math.floor(rand() * neg.length)]!);
    }
    for (const r of [...pos, ...chosen]) {
      rows.push(r);
      group.push(g);
      labels.push(rel.has(pool.items[r]!) ? 1 : 0);
    }
    g++;
  }
  const n = rows.length;
  const out = new Float32Array(n * d);
  rows.forEach((r, i) => out.set(x.subarray(r * d, (r + 1) * d), i * d));
  const y = Float32Array.from(labels);
  return {
    n,
    d,
    x: out,
    y,
    group: Int32Array.from(group),
    featureNames: names,
    ...(offset ? { offset: Float32Array.from(rows, (r) => offset[r]!) } : {}),
  };
}

function sampledData(dir: string, keepUser: (u: number) => boolean): RankerData & { group: Int32Array } {
  const meta = JSON.parse(readFileSync(path.join(dir, 'sampled.json'), 'utf8')) as { n: number; d: number };
  const x = f32(path.join(dir, 'sampled.x.f32')),
    y = f32(path.join(dir, 'sampled.y.f32')),
    group = i32(path.join(dir, 'sampled.group.i32')),
    user = i32(path.join(dir, 'sampled.user.i32'));
  const keep: number[] = [];
  for (let r = 0; r < meta.n; r++) if (keepUser(user[r]!)) keep.push(r);
  const out = new Float32Array(keep.length * meta.d);
  keep.forEach((r, i) => out.set(x.subarray(r * meta.d, (r + 1) * meta.d), i * meta.d));
  return {
    n: keep.length,
    d: meta.d,
    x: out,
    y: Float32Array.from(keep, (r) => y[r]!),
    group: Int32Array.from(keep, (r) => group[r]!),
  };
}

/** NDCG@20 of each request when its pool is sorted by `score` (ties: pool order). */
function perRequestNdcg(set: PoolSet, score: (i: number) => number): Float64Array {
  return Float64Array.from(set.requests, (q) => {
    const idx = Array.from({ length: q.end - q.start }, (_, i) => q.start + i).sort((a, b) => score(b) - score(a) || a - b);
    return ndcgAtK(
      idx.slice(0, 20).map((i) => set.items[i]!),
      new Set(q.relevant),
      20,
    );
  });
}

/** z-scores each request's values of `v` (the pipeline's blend z-scores both scores within the request). */
function zWithin(set: PoolSet, v: Float32Array): Float32Array {
  const out = new Float32Array(v.length);
  for (const q of set.requests) {
    const m = q.end - q.start;
    let mean = 0;
    for (let i = q.start; i < q.end; i++) mean += v[i]!;
    mean /= m;
    let s = 0;
    for (let i = q.start; i < q.end; i++) s += (v[i]! - mean) ** 2;
    const sd = Math.sqrt(s / m) || 1;
    for (let i = q.start; i < q.end; i++) out[i] = (v[i]! - mean) / sd;
  }
  return out;
}
const logit = (p: number): number => {
  const q = Math.min(1 - 1e-6, Math.max(1e-6, p));
  return Math.log(q / (1 - q));
};
const mean = (v: Float64Array): number => v.reduce((a, b) => a + b, 0) / Math.max(1, v.length);

/** The blend grid on validation and the pipeline's one-standard-error rule; the residual's own sum too. */
function blendGrid(set: PoolSet, ranker: Float32Array, zret: Float32Array, scale: number | null) {
  const zr = zWithin(set, Float32Array.from(ranker, logit));
  const base = perRequestNdcg(set, (i) => zret[i]!);
  const grid = BLEND_GRID.map((w) => ({ w, each: w === 0 ? base : perRequestNdcg(set, (i) => w * zr[i]! + (1 - w) * zret[i]!) }));
  let best = grid[0]!;
  for (const g of grid) if (mean(g.each) > mean(best.each) + 1e-12) best = g;
  const diff = Float64Array.from(best.each, (v, i) => v - base[i]!);
  const gain = mean(diff);
  const n = diff.length;
  const sd = Math.sqrt(diff.reduce((a, x) => a + (x - gain) ** 2, 0) / Math.max(1, n - 1));
  const se = sd / Math.sqrt(n);
  const residual = scale === null ? null : perRequestNdcg(set, (i) => scale * zret[i]! + logit(ranker[i]!));
  return { grid, best: best.w, chosen: best.w !== 0 && gain > se ? best.w : 0, gain, se, residual };
}

for (const protocol of values.protocol!.split(',')) {
  const dir = path.join(values.dir!, protocol);
  const train = loadPool(dir, 'train');
  const val = loadPool(dir, 'val');
  const test = loadPool(dir, 'test');
  const ret = train.d - 1;
  const signalsAt = train.featureNames.indexOf('log_pop_decay_short');
  const relCols = [ret, signalsAt, signalsAt + 1, signalsAt + 2, train.featureNames.indexOf('log_co_occurrence')];
  const zTrain = zRetrieval(train),
    zVal = zRetrieval(val),
    zTest = zRetrieval(test);
  const pos = train.requests.length;
  console.log(
    `\n${protocol}: ${pos} training requests (${train.n} pool rows), ${val.requests.length} validation users, ${test.requests.length} test users`,
  );
  const baseVal = mean(perRequestNdcg(val, (i) => zVal[i]!));
  const baseTest = mean(perRequestNdcg(test, (i) => zTest[i]!));
  console.log(`retrieval alone over the pool: validation ${baseVal.toFixed(4)}, test ${baseTest.toFixed(4)}`);
  // Each request signal alone, as a diagnostic of what the pool holds (e.g. is recent popularity's top in it).
  for (const c of relCols.slice(1)) {
    const col = (set: PoolSet) => (i: number) => set.x[i * set.d + c]!;
    console.log(
      `  ${train.featureNames[c]} alone: validation ${mean(perRequestNdcg(val, col(val))).toFixed(4)}, test ${mean(perRequestNdcg(test, col(test))).toFixed(4)}`,
    );
  }
  const wanted = values.variants ? values.variants.split(',').map(Number) : VARIANTS.map((_, i) => i);
  for (const vi of wanted) {
    const v = VARIANTS[vi]!;
    const t0 = performance.now();
    const cols = (set: PoolSet) => (v.relative ? relativeColumns(set, relCols) : { x: set.x, d: set.d, names: set.featureNames });
    const [ct, cv, cx] = [cols(train), cols(val), cols(test)];
    const names = v.relative ? [...train.featureNames, ...ct.names] : train.featureNames;
    const fit = (keep: (u: number) => boolean) => {
      const reqs = train.requests.filter((q) => keep(q.user));
      const scale = v.residual ? fitScale(zTrain, train, reqs) : null;
      const offset = scale === null ? null : Float32Array.from(zTrain, (z) => z * scale);
      const data = v.sampled ? sampledData(dir, keep) : trainingData(train, ct.x, ct.d, names, offset, v, keep);
      return { params: trainRanker(data, { seed, ...v.dcn }).params, scale, rows: data.n };
    };
    const valScores = new Float32Array(val.n);
    let scaleSum = 0;
    for (let k = 0; k < 2; k++) {
      const m = fit((u) => foldOf(u, 2, seed) !== k);
      scaleSum += m.scale ?? 0;
      const p = rankerPredict(m.params, cv.x, val.n);
      for (const q of val.requests) if (foldOf(q.user, 2, seed) === k) for (let i = q.start; i < q.end; i++) valScores[i] = p[i]!;
    }
    const scale = v.residual ? scaleSum / 2 : null;
    const b = blendGrid(val, valScores, zVal, scale);
    const full = fit(() => true);
    const pt = rankerPredict(full.params, cx.x, test.n);
    const zt = zWithin(test, Float32Array.from(pt, logit));
    const testAt = (w: number) => mean(perRequestNdcg(test, (i) => w * zt[i]! + (1 - w) * zTest[i]!));
    const residualTest = full.scale === null ? null : mean(perRequestNdcg(test, (i) => full.scale! * zTest[i]! + logit(pt[i]!)));
    const grid = b.grid.map((g) => `${g.w}:${mean(g.each).toFixed(4)}`).join(' ');
    console.log(
      `[${vi}] ${v.name} (${full.rows} rows, ${((performance.now() - t0) / 1000).toFixed(0)} s)\n` +
        `    val ${grid}${b.residual ? ` residual-sum:${mean(b.residual).toFixed(4)} (scale ${scale!.toFixed(2)})` : ''}\n` +
        `    rule: best ${b.best} gain ${b.gain.toFixed(4)} se ${b.se.toFixed(4)} -> w ${b.chosen}; test at w ${b.chosen}: ${testAt(b.chosen).toFixed(4)}` +
        `, at best ${b.best}: ${testAt(b.best).toFixed(4)}${residualTest === null ? '' : `, residual-sum ${residualTest.toFixed(4)}`}`,
    );
  }
}
