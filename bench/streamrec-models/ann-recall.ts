/**
 * Exact vs HNSW (usearch) item search on the MovieLens latest-small catalog (9,742 items), with item and
 * user vectors from a short two-tower run: recall@k of HNSW against exact search, query latency, build time.
 *
 *   npx tsx bench/streamrec-models/ann-recall.ts
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ExactItemIndex, HnswItemIndex, loadItemIndex, recallAtK, saveItemIndex } from '@frec/model-serving/item-index';
import { movieLensEmbeddings } from './movielens-embeddings.js';

const { items, users, dim, movieIds, trainSeconds } = movieLensEmbeddings();
console.log(
  `node ${process.version}; ${movieIds.length} items, ${users.length / dim} user queries, dim ${dim} (two-tower trained ${trainSeconds.toFixed(1)} s)`,
);

const perQueryMs = (search: (q: Float32Array) => unknown, queries: Float32Array, reps = 3): number => {
  const m = queries.length / dim;
  for (let r = 0; r < Math.min(m, 50); r++) search(queries.subarray(r * dim, (r + 1) * dim));
  const t0 = performance.now();
  for (let rep = 0; rep < reps; rep++) for (let r = 0; r < m; r++) search(queries.subarray(r * dim, (r + 1) * dim));
  return (performance.now() - t0) / (reps * m);
};

let t = performance.now();
const exact = ExactItemIndex.build(movieIds, items, dim);
const exactBuild = performance.now() - t;
const exactMs = perQueryMs((q) => exact.search(q, 100), users);
console.log(`exact          build ${exactBuild.toFixed(0)} ms   top-100 query ${exactMs.toFixed(3)} ms   recall 1 (baseline)`);

for (const efSearch of [16, 32, 64, 128, 256]) {
  t = performance.now();
  const hnsw = HnswItemIndex.build(movieIds, items, dim, { expansionSearch: efSearch });
  const build = performance.now() - t;
  const ms = perQueryMs((q) => hnsw.search(q, 100), users);
  const r10 = recallAtK(exact, hnsw, users, 10);
  const r100 = recallAtK(exact, hnsw, users, 100);
  const r500 = recallAtK(exact, hnsw, users, 500);
  console.log(
    `hnsw ef=${String(efSearch).padEnd(4)} build ${build.toFixed(0)} ms   top-100 query ${ms.toFixed(3)} ms (${(exactMs / ms).toFixed(1)}x exact)   recall@10 ${r10.toFixed(4)}  @100 ${r100.toFixed(4)}  @500 ${r500.toFixed(4)}`,
  );
}

const root = await mkdtemp(path.join(tmpdir(), 'frec-ann-bench-'));
try {
  t = performance.now();
  await saveItemIndex(root, HnswItemIndex.build(movieIds, items, dim));
  const save = performance.now() - t;
  t = performance.now();
  await loadItemIndex(root);
  console.log(`save (build + sha256) ${save.toFixed(0)} ms, load (verify sha256 + load graph) ${(performance.now() - t).toFixed(0)} ms`);
} finally {
  await rm(root, { recursive: true, force: true });
}
