import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { seededRandom } from '@frec/core/spi';
import { ExactItemIndex, HnswItemIndex, saveItemIndex } from '@frec/model-serving/item-index';
import { withBiasColumn, withUnitColumn } from '../../src/retrieval/index.js';
import { servedIndex } from '../../src/serve/streamrec-recommender.js';

const root = mkdtempSync(path.join(tmpdir(), 'streamrec-served-index-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// Two-tower embeddings plus a popularity prior of the size ADR 0077 registers (beta x T x log(1 + c)).
const rand = seededRandom(77);
const n = 600;
const dim = 16;
const ids = Array.from({ length: n }, (_, i) => i + 1);
const emb = Float32Array.from({ length: n * dim }, () => (rand() * 2 - 1) * 0.4);
const bias = Float32Array.from({ length: n }, () => 0.5 * 0.05 * Math.log(1 + Math.floor(rand() ** 3 * 300)) * 20);
const vectors = withBiasColumn(emb, dim, bias);
const exact = ExactItemIndex.fromVectors(ids, vectors, dim + 1, 'ip');
const queries = Array.from({ length: 20 }, () => withUnitColumn(Float32Array.from({ length: dim }, () => rand() * 2 - 1)));

const overlap = (a: readonly { itemId: number | string }[], b: readonly { itemId: number | string }[]) => {
  const s = new Set(b.map((x) => x.itemId));
  return a.filter((x) => s.has(x.itemId)).length / a.length;
};

describe('the served two-tower index scores q . v + bias (ADR 0077)', () => {
  it('its top 20 is the exact inner-product top 20 over the bias column', async () => {
    const index = await servedIndex(path.join(root, 'ann'), 'two_tower@1', ids, vectors, dim + 1, () => {});
    const o = queries.map((q) => overlap(index.search(q, 20), exact.search(q, 20)));
    // HNSW is approximate: about 0.98 of the exact top 20 on average here (a cosine index: about 0.27).
    expect(o.reduce((a, b) => a + b, 0) / o.length).toBeGreaterThanOrEqual(0.95);
    expect(Math.min(...o)).toBeGreaterThanOrEqual(0.85);
    // The scores are the inner products themselves, not cosines.
    for (const q of queries) expect(index.search(q, 1)[0]!.score).toBeCloseTo(exact.search(q, 1)[0]!.score, 3);
  });

  it('rebuilds an index saved with the cosine metric for the same model and width', async () => {
    const dir = path.join(root, 'ann-old');
    await saveItemIndex(dir, HnswItemIndex.build(ids, vectors, dim + 1), { metadata: { model: 'two_tower@1', dim: String(dim + 1) } });
    const cosine = HnswItemIndex.build(ids, vectors, dim + 1);
    // What the old index served: far from the exact order once the bias column is normalised away.
    const stale = queries.map((q) => overlap(cosine.search(q, 20), exact.search(q, 20)));
    expect(stale.reduce((a, b) => a + b, 0) / stale.length).toBeLessThan(0.8);
    const index = await servedIndex(dir, 'two_tower@1', ids, vectors, dim + 1, () => {});
    const o = queries.map((q) => overlap(index.search(q, 20), exact.search(q, 20)));
    expect(o.reduce((a, b) => a + b, 0) / o.length).toBeGreaterThanOrEqual(0.95);
    expect(index.lastLoad!.metadata).toMatchObject({ metric: 'ip' });
  });
});
