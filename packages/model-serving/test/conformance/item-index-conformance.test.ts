import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { seededRandom } from '@frec/core/spi';
import {
  AnnIndexError,
  ExactItemIndex,
  HnswItemIndex,
  annManifestSchema,
  loadItemIndex,
  loadItemIndexWithFallback,
  recallAtK,
  saveItemIndex,
  type ItemId,
  type ItemIndex,
  type ItemIndexKind,
  type ItemIndexMetric,
} from '../../src/item-index/index.js';

/** One item index implementation: how to build it, and the recall@10 it must reach against brute force. */
interface IndexImplementation {
  build(ids: readonly ItemId[], vectors: Float32Array, dim: number, metric: ItemIndexMetric): ItemIndex;
  minRecallAt10: number;
  /** Whether k >= size returns every item; a graph search may not reach all (HNSW over raw inner products). */
  exhaustive: boolean;
}

// Every kind the saved-index format knows; a kind added to the manifest without an entry here fails the suite.
const IMPLEMENTATIONS: Record<ItemIndexKind, IndexImplementation> = {
  exact: { build: (ids, v, dim, metric) => ExactItemIndex.build(ids, v, dim, { metric }), minRecallAt10: 1, exhaustive: true },
  hnsw: { build: (ids, v, dim, metric) => HnswItemIndex.build(ids, v, dim, { metric }), minRecallAt10: 0.95, exhaustive: false },
};

/** Clustered vectors (like trained item embeddings): `clusters` centers plus noise, seeded. */
function vectors(n: number, dim: number, seed: number, clusters = 20): Float32Array {
  const r = seededRandom(seed);
  const centers = Float32Array.from({ length: clusters * dim }, () => r() * 2 - 1);
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(r() * clusters);
    for (let k = 0; k < dim; k++) out[i * dim + k] = centers[c * dim + k]! + (r() - 0.5) * 0.6;
  }
  return out;
}

/** The true top-k by brute force, in double precision. */
function bruteForce(ids: readonly ItemId[], data: Float32Array, dim: number, q: Float32Array, k: number, metric: ItemIndexMetric) {
  const norm = (v: ArrayLike<number>) => (metric === 'cosine' ? Math.hypot(...Array.from(v)) || 1 : 1);
  const qn = norm(q);
  return ids
    .map((itemId, i) => {
      const v = data.subarray(i * dim, (i + 1) * dim);
      let dot = 0;
      for (let j = 0; j < dim; j++) dot += v[j]! * q[j]!;
      return { itemId, score: dot / (norm(v) * qn) };
    })
    .sort((a, b) => b.score - a.score)
    .slice(0, k);
}

const dim = 16;
const n = 2000;
const ids = Array.from({ length: n }, (_, i) => 5000 + i);
const catalog = new Set(ids);
const data = vectors(n, dim, 11);
const queries = vectors(60, dim, 12);
const query = (i: number) => queries.subarray(i * dim, (i + 1) * dim);

const roots: string[] = [];
async function tempRoot(): Promise<string> {
  const d = await mkdtemp(path.join(tmpdir(), 'frec-item-index-'));
  roots.push(d);
  return d;
}
afterAll(async () => {
  await Promise.all(roots.map((d) => rm(d, { recursive: true, force: true })));
});

it('every kind of the saved-index format has a conformance implementation', () => {
  expect(Object.keys(IMPLEMENTATIONS).sort()).toEqual([...annManifestSchema.shape.kind.options].sort());
});

for (const [kind, impl] of Object.entries(IMPLEMENTATIONS) as Array<[ItemIndexKind, IndexImplementation]>) {
  describe(`ItemIndex conformance: ${kind}`, () => {
    for (const metric of ['cosine', 'ip'] as const) {
      it(`builds and searches (${metric}): k items, best first, ids of the catalog, scores as the metric defines`, () => {
        const index = impl.build(ids, data, dim, metric);
        expect(index).toMatchObject({ kind, metric, dim, size: n });
        expect(index.ids).toEqual(ids);
        for (let i = 0; i < 5; i++) {
          const hits = index.search(query(i), 10);
          expect(hits).toHaveLength(10);
          expect(new Set(hits.map((h) => h.itemId)).size).toBe(10);
          for (const h of hits) expect(catalog.has(h.itemId as number)).toBe(true);
          for (let j = 1; j < hits.length; j++) expect(hits[j - 1]!.score).toBeGreaterThanOrEqual(hits[j]!.score - 1e-6);
          // The best hit's score is its true similarity, whichever item it is.
          const best = hits[0]!;
          const r = ids.indexOf(best.itemId as number);
          const truth = bruteForce([best.itemId], data.subarray(r * dim, (r + 1) * dim), dim, query(i), 1, metric)[0]!.score;
          expect(best.score).toBeCloseTo(truth, 4);
        }
        expect(index.search(query(0), 0)).toEqual([]);
        const all = index.search(query(0), n + 50);
        expect(new Set(all.map((h) => h.itemId)).size).toBe(all.length);
        if (impl.exhaustive) expect(all).toHaveLength(n);
        else expect(all.length).toBeLessThanOrEqual(n);
        expect(index.searchMany(queries.subarray(0, 3 * dim), 7)).toEqual([0, 1, 2].map((i) => index.search(query(i), 7)));
      });
    }

    it(`reaches recall@10 >= ${impl.minRecallAt10} against brute force on seeded clustered data`, () => {
      const index = impl.build(ids, data, dim, 'cosine');
      let hit = 0;
      for (let i = 0; i < queries.length / dim; i++) {
        const truth = new Set(bruteForce(ids, data, dim, query(i), 10, 'cosine').map((h) => h.itemId));
        hit += index.search(query(i), 10).filter((h) => truth.has(h.itemId)).length;
      }
      expect(hit / ((queries.length / dim) * 10)).toBeGreaterThanOrEqual(impl.minRecallAt10);
      expect(recallAtK(ExactItemIndex.build(ids, data, dim), index, queries, 10)).toBeGreaterThanOrEqual(impl.minRecallAt10);
    });

    it('refuses bad input with AnnInputError (INVALID_REQUEST)', () => {
      const bad = (f: () => unknown) => expect(f).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST', name: 'AnnInputError' }));
      bad(() => impl.build([1, 1], new Float32Array(4), 2, 'cosine'));
      bad(() => impl.build([1, 2], new Float32Array(3), 2, 'cosine'));
      bad(() => impl.build([1], Float32Array.from([Number.NaN, 0]), 2, 'cosine'));
      bad(() => impl.build([1], Float32Array.from([1, 0]), 0, 'cosine'));
      const index = impl.build(ids, data, dim, 'cosine');
      bad(() => index.search(new Float32Array(dim + 1), 1));
      bad(() => index.search(query(0), -1));
    });

    it('saves a checksummed version and loads it back answering the same', async () => {
      const root = await tempRoot();
      const index = impl.build(ids, data, dim, 'ip');
      const manifest = await saveItemIndex(root, index, { metadata: { model: `${kind}@1` } });
      expect(manifest).toMatchObject({ kind, metric: 'ip', dim, count: n, version: 'v0001', metadata: { model: `${kind}@1` } });
      expect(index.version).toBe('v0001');
      for (const f of manifest.files) expect(f.sha256).toMatch(/^[0-9a-f]{64}$/);
      const loaded = await loadItemIndex(root);
      expect(loaded.index).toMatchObject({ kind, metric: 'ip', dim, size: n, version: 'v0001' });
      for (let i = 0; i < 10; i++) expect(loaded.index.search(query(i), 10)).toEqual(index.search(query(i), 10));
    });

    it('detects a changed or truncated data file (ANN_INDEX_CORRUPT) and falls back to the previous version', async () => {
      const root = await tempRoot();
      await saveItemIndex(root, impl.build(ids, data, dim, 'cosine'));
      const v2 = await saveItemIndex(root, impl.build(ids, data, dim, 'cosine'));
      const v3 = await saveItemIndex(root, impl.build(ids, data, dim, 'cosine'));
      const dataFile = (m: typeof v2) => path.join(root, m.version, m.files.find((f) => f.name !== 'ids.json')!.name);
      const buf = await readFile(dataFile(v3));
      buf[buf.length >> 1] = buf[buf.length >> 1]! ^ 0xff;
      await writeFile(dataFile(v3), buf);
      await appendFile(dataFile(v2), Buffer.from([1, 2, 3, 4]));
      for (const v of ['v0002', 'v0003']) {
        const err = await loadItemIndex(root, v).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(AnnIndexError);
        expect(err).toMatchObject({ code: 'ANN_INDEX_CORRUPT', httpStatus: 503, where: { version: v } });
      }
      const fallback = await loadItemIndexWithFallback(root);
      expect(fallback.index.version).toBe('v0001');
      expect(fallback.skipped.map((s) => s.version)).toEqual(['v0003', 'v0002']);
      expect(fallback.index.search(query(0), 5)).toHaveLength(5);
      await expect(loadItemIndex(path.join(root, 'nothing'))).rejects.toMatchObject({ code: 'ANN_INDEX_NOT_FOUND' });
    });
  });
}
