import { seededRandom } from '@frec/core/spi';
import { mkdtemp, readFile, rm, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  AnnIndexError,
  ExactItemIndex,
  HnswItemIndex,
  listItemIndexVersions,
  loadItemIndex,
  loadItemIndexWithFallback,
  loadPreviousItemIndex,
  recallAtK,
  saveItemIndex,
} from '../src/item-index/index.js';

const seeded = seededRandom;

/** Clustered vectors (like trained item embeddings): `clusters` centers plus noise. */
function vectors(n: number, dim: number, seed: number, clusters = 20): Float32Array {
  const r = seeded(seed);
  const centers = Float32Array.from({ length: clusters * dim }, () => r() * 2 - 1);
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(r() * clusters);
    for (let k = 0; k < dim; k++) out[i * dim + k] = centers[c * dim + k]! + (r() - 0.5) * 0.6;
  }
  return out;
}

const roots: string[] = [];
async function tempRoot(): Promise<string> {
  const d = await mkdtemp(path.join(tmpdir(), 'frec-ann-'));
  roots.push(d);
  return d;
}
afterAll(async () => {
  await Promise.all(roots.map((d) => rm(d, { recursive: true, force: true })));
});

const dim = 16;
const n = 3000;
const ids = Array.from({ length: n }, (_, i) => 1000 + i);
const data = vectors(n, dim, 1);
const queries = vectors(100, dim, 2);

describe('exact item index', () => {
  it('returns the true top-k by cosine, best first', () => {
    const index = ExactItemIndex.build(ids, data, dim);
    const q = queries.subarray(0, dim);
    const got = index.search(q, 10);
    const qn = Math.hypot(...q);
    const all = ids.map((id, i) => {
      const v = data.subarray(i * dim, (i + 1) * dim);
      let dot = 0;
      for (let k = 0; k < dim; k++) dot += v[k]! * q[k]!;
      return { itemId: id, score: dot / (Math.hypot(...v) * qn) };
    });
    all.sort((a, b) => b.score - a.score);
    expect(got.map((h) => h.itemId)).toEqual(all.slice(0, 10).map((h) => h.itemId));
    got.forEach((h, i) => expect(h.score).toBeCloseTo(all[i]!.score, 5));
    expect(index.search(q, 0)).toEqual([]);
    expect(index.search(q, n + 50)).toHaveLength(n);
  });

  it('inner-product metric keeps vector norms', () => {
    const index = ExactItemIndex.build(['a', 'b'], Float32Array.from([1, 0, 3, 0]), 2, { metric: 'ip' });
    expect(index.search(Float32Array.from([1, 0]), 2)).toEqual([
      { itemId: 'b', score: 3 },
      { itemId: 'a', score: 1 },
    ]);
  });

  it('rejects bad input with a typed error', () => {
    expect(() => ExactItemIndex.build([1, 1], new Float32Array(4), 2)).toThrow(/Item id 1 appears twice/);
    expect(() => ExactItemIndex.build([1, 2], new Float32Array(3), 2)).toThrow(/got 3 values for 2 ids x 2 dims/);
    expect(() => ExactItemIndex.build([1], Float32Array.from([Number.NaN, 0]), 2)).toThrow(/Item 1 has a non-finite embedding value/);
    const index = ExactItemIndex.build([1], Float32Array.from([1, 0]), 2);
    expect(() => index.search(new Float32Array(3), 1)).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST', name: 'AnnInputError' }));
  });
});

describe('HNSW item index (usearch)', () => {
  it('reaches recall@10 >= 0.95 against exact search', () => {
    const exact = ExactItemIndex.build(ids, data, dim);
    const hnsw = HnswItemIndex.build(ids, data, dim);
    expect(recallAtK(exact, hnsw, queries, 10)).toBeGreaterThanOrEqual(0.95);
    const hit = hnsw.search(queries.subarray(0, dim), 3);
    expect(hit[0]!.score).toBeCloseTo(exact.search(queries.subarray(0, dim), 1)[0]!.score, 4);
  });
});

describe('saved index versions', () => {
  it('round-trips both kinds with a manifest of checksums and increasing versions', async () => {
    const root = await tempRoot();
    const exact = ExactItemIndex.build(ids, data, dim);
    const hnsw = HnswItemIndex.build(ids, data, dim);
    const m1 = await saveItemIndex(root, exact, { metadata: { model: 'two-tower@1' } });
    const m2 = await saveItemIndex(root, hnsw);
    expect([m1.version, m2.version]).toEqual(['v0001', 'v0002']);
    expect(m2.files.map((f) => f.name).sort()).toEqual(['graph.usearch', 'ids.json']);
    for (const f of m2.files) expect(f.sha256).toMatch(/^[0-9a-f]{64}$/);
    const onDisk = JSON.parse(await readFile(path.join(root, 'v0001', 'manifest.json'), 'utf8'));
    expect(onDisk).toMatchObject({ format: 'frec-ann-index/1', kind: 'exact', dim, count: n, metadata: { model: 'two-tower@1' } });

    const latest = await loadItemIndex(root);
    expect(latest.index.kind).toBe('hnsw');
    expect(latest.index.version).toBe('v0002');
    const q = queries.subarray(dim, 2 * dim);
    expect(latest.index.search(q, 10)).toEqual(hnsw.search(q, 10));
    const first = await loadItemIndex(root, 'v0001');
    expect(first.index.search(q, 10)).toEqual(exact.search(q, 10));
    expect((await listItemIndexVersions(root)).map((m) => m.version)).toEqual(['v0001', 'v0002']);
    await expect(saveItemIndex(root, exact, { version: 'v0001' })).rejects.toThrow(/already exists/);
    await expect(saveItemIndex(root, exact, { version: '../x' })).rejects.toThrow(/not a valid folder name/);
  });

  it('refuses a corrupt HNSW graph with ANN_INDEX_CORRUPT and falls back to the previous version', async () => {
    const root = await tempRoot();
    await saveItemIndex(root, HnswItemIndex.build(ids, data, dim));
    await saveItemIndex(root, HnswItemIndex.build(ids, data, dim));
    const file = path.join(root, 'v0002', 'graph.usearch');
    const buf = await readFile(file);
    buf[buf.length >> 1] = buf[buf.length >> 1]! ^ 0xff;
    await writeFile(file, buf);
    const err = await loadItemIndex(root).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AnnIndexError);
    expect(err).toMatchObject({ code: 'ANN_INDEX_CORRUPT', where: { version: 'v0002' } });
    expect((err as Error).message).toMatch(/graph.usearch has sha256 .* manifest says/);
    const fallback = await loadItemIndexWithFallback(root);
    expect(fallback.index.version).toBe('v0001');
    expect(fallback.skipped.map((s) => s.version)).toEqual(['v0002']);
    expect(fallback.index.search(queries.subarray(0, dim), 5)).toHaveLength(5);
    expect((await loadPreviousItemIndex(root, 'v0002')).index.version).toBe('v0001');
  });

  it('detects truncated vectors, a garbled manifest and a missing index', async () => {
    const root = await tempRoot();
    await saveItemIndex(root, ExactItemIndex.build(ids, data, dim));
    await saveItemIndex(root, ExactItemIndex.build(ids, data, dim));
    await saveItemIndex(root, ExactItemIndex.build(ids, data, dim));
    await appendFile(path.join(root, 'v0003', 'vectors.f32'), Buffer.from([1, 2, 3, 4]));
    await writeFile(path.join(root, 'v0002', 'manifest.json'), '{"format": "frec-ann-index/1", "vers');
    await expect(loadItemIndex(root, 'v0003')).rejects.toMatchObject({ code: 'ANN_INDEX_CORRUPT' });
    await expect(loadItemIndex(root, 'v0002')).rejects.toThrow(/manifest.json is not valid JSON/);
    const fallback = await loadItemIndexWithFallback(root);
    expect(fallback.index.version).toBe('v0001');
    expect(fallback.skipped.map((s) => s.version).sort()).toEqual(['v0002', 'v0003']);
    await expect(loadItemIndex(root, 'v0009')).rejects.toMatchObject({ code: 'ANN_INDEX_NOT_FOUND' });
    await expect(loadItemIndex(path.join(root, 'nothing-here'))).rejects.toThrow(/No ANN index saved/);
    await expect(loadPreviousItemIndex(root, 'v0001')).rejects.toMatchObject({ code: 'ANN_INDEX_NOT_FOUND' });
  });
});
