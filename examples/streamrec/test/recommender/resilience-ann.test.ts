import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ExactItemIndex, HnswItemIndex, saveItemIndex } from '@frec/model-serving/item-index';
import { AnnSource } from '../../src/recommender/sources/ann-source.js';
import { ReloadableItemIndex } from '../../src/recommender/sources/reloadable-index.js';
import { Recommender } from '../../src/recommender/recommender.js';
import { RetrievalScoreRanker } from '@frec/model-serving/ranking';
import { ITEM_DIM, recommenderOptions, rng, syntheticWorld } from './helpers/fixture.js';

const dir = mkdtempSync(path.join(tmpdir(), 'frec-ann-degrade-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const world = syntheticWorld(23);
const ids = world.items.map((i) => i.id);
function vectors(seed: number): Float32Array {
  const rand = rng(seed);
  return Float32Array.from({ length: ids.length * ITEM_DIM }, () => rand() * 2 - 1);
}

/** Flips bytes in the middle of a version's largest data file (not the manifest). */
function corrupt(version: string): string {
  const vdir = path.join(dir, version);
  const file = readdirSync(vdir)
    .filter((f) => f !== 'manifest.json')
    .map((f) => path.join(vdir, f))
    .sort((a, b) => readFileSync(b).length - readFileSync(a).length)[0]!;
  const buf = readFileSync(file);
  for (let i = 0; i < 16; i++) buf[Math.floor(buf.length / 2) + i] = buf[Math.floor(buf.length / 2) + i]! ^ 0xff;
  writeFileSync(file, buf);
  return path.basename(file);
}

describe('corrupt ANN index', () => {
  it('is detected by its checksum; the previous version is served; a new valid version restores the newest', async () => {
    await saveItemIndex(dir, ExactItemIndex.build(ids, vectors(1), ITEM_DIM));
    await saveItemIndex(dir, HnswItemIndex.build(ids, vectors(2), ITEM_DIM));
    const loads: string[] = [];
    const index = new ReloadableItemIndex(dir, (r) => loads.push(r.version));
    expect((await index.reload()).version).toBe('v0002');
    const ann = new AnnSource({ index, userVector: (f) => Float32Array.from({ length: ITEM_DIM }, (_, j) => f.vector[j % 3]!) });
    const base = recommenderOptions(world, new RetrievalScoreRanker());
    const rec = new Recommender({ ...base, sources: [{ source: ann, k: 250 }, ...base.sources.slice(1)] });

    const before = await rec.recommend({ userId: 5 });
    expect(before).toMatchObject({ degradationLevel: 'FULL', modelVersions: { two_tower: 'v0002' } });

    const file = corrupt('v0002');
    const report = await index.reload();
    expect(report.version).toBe('v0001');
    expect(report.skipped).toEqual([expect.objectContaining({ version: 'v0002', code: 'ANN_INDEX_CORRUPT' })]);
    expect(report.skipped[0]!.message).toMatch(/sha256|checksum/i);
    console.log(`corrupted ${file} of v0002: served v0001 instead (${report.skipped[0]!.message.slice(0, 120)}...)`);
    const during = await rec.recommend({ userId: 5 });
    expect(during.degradationLevel).toBe('FULL');
    expect(during.modelVersions.two_tower).toBe('v0001');
    expect(during.items).toHaveLength(20);
    expect(during.items.some((i) => i.sources.includes('two_tower'))).toBe(true);

    // Recovery: a rebuilt index is published as a new version and picked up on reload.
    await saveItemIndex(dir, ExactItemIndex.build(ids, vectors(3), ITEM_DIM));
    expect((await index.reload()).version).toBe('v0003');
    expect((await rec.recommend({ userId: 5 })).modelVersions.two_tower).toBe('v0003');
    expect(loads).toEqual(['v0002', 'v0001', 'v0003']);
  });

  it('with no valid version at all the two-tower source fails alone: the other sources still answer', async () => {
    const empty = mkdtempSync(path.join(dir, 'none-'));
    const index = new ReloadableItemIndex(empty);
    await expect(index.reload()).rejects.toMatchObject({ code: 'ANN_INDEX_NOT_FOUND' });
    const ann = new AnnSource({ index, userVector: () => new Float32Array(ITEM_DIM) });
    const base = recommenderOptions(world, new RetrievalScoreRanker());
    const rec = new Recommender({ ...base, sources: [{ source: ann, k: 250 }, ...base.sources.slice(1)] });
    const res = await rec.recommend({ userId: 6 });
    expect(res.degraded.retrieval_two_tower).toBe('error');
    expect(res.degradationLevel).toBe('FULL');
    expect(res.items).toHaveLength(20);
    expect(res.items.some((i) => i.sources.includes('two_tower'))).toBe(false);
  });
});
