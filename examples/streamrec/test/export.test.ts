import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import {
  ensembleItemForward,
  ensembleUserForward,
  itemTowerForward,
  rankerPredict,
  towerEnsemble,
  trainRanker,
  trainTwoTower,
  userTowerForward,
} from '../src/models/index.js';
import { syntheticInteractions, syntheticRanking } from '../src/models/synthetic.js';
import {
  decodeModel,
  exportRankerOnnx,
  exportTwoTowerOnnx,
  rankerOnnxArtifacts,
  RANKER_IO,
  saveRetrievalIndex,
  TOWER_IO,
  twoTowerOnnxArtifacts,
  writeTritonRanker,
} from '../src/export/index.js';
import { loadItemIndex } from '@frec/model-serving/item-index';
import { Rng } from '../src/nn/rng.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('two-tower ONNX export', () => {
  const s = syntheticInteractions({ numUsers: 40, numItems: 60, n: 600, dUser: 5, dItem: 7, seed: 9 });
  const { params } = trainTwoTower(s.train, { epochs: 2, batchSize: 64, embeddingDim: 8, hidden: [16, 12], outputDim: 8 });
  const { user, item } = exportTwoTowerOnnx(params);

  it('user tower in onnxruntime matches the training code within 1e-4, unknown users included', async () => {
    const session = await ort.InferenceSession.create(user);
    expect(session.inputNames).toEqual([TOWER_IO.user.index, TOWER_IO.user.features]);
    // 3, 37: dynamic batch; -1 and 40 are unknown users served by the OOV row.
    for (const ids of [
      [0, 5, 39],
      [...Array.from({ length: 35 }, (_, i) => i), -1, 40],
    ]) {
      const idx = Int32Array.from(ids);
      const feats = new Rng(ids.length).normalArray(ids.length * 5, 1);
      const expected = userTowerForward(params, idx, feats);
      const out = await session.run({
        [TOWER_IO.user.index]: new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [ids.length]),
        [TOWER_IO.user.features]: new ort.Tensor('float32', feats, [ids.length, 5]),
      });
      const got = out[TOWER_IO.user.output]!;
      expect(got.dims).toEqual([ids.length, 8]);
      expect(maxAbsDiff(got.data as Float32Array, expected)).toBeLessThan(1e-4);
    }
    await session.release();
  });

  it('item tower in onnxruntime matches the training code within 1e-4 over the whole catalog', async () => {
    const session = await ort.InferenceSession.create(item);
    const ids = BigInt64Array.from(Array.from({ length: 60 }, (_, i) => BigInt(i)));
    const out = await session.run({
      [TOWER_IO.item.index]: new ort.Tensor('int64', ids, [60]),
      [TOWER_IO.item.features]: new ort.Tensor('float32', s.train.itemFeatures, [60, 7]),
    });
    expect(maxAbsDiff(out[TOWER_IO.item.output]!.data as Float32Array, itemTowerForward(params, s.train.itemFeatures))).toBeLessThan(1e-4);
    await session.release();
  });

  it('exports an id-only tower without a features input', async () => {
    const ids = syntheticInteractions({ numUsers: 6, numItems: 9, n: 50, dUser: 0, dItem: 3, seed: 4 }).train;
    const p = trainTwoTower(ids, { epochs: 1, batchSize: 16, embeddingDim: 4, hidden: [4], outputDim: 4 }).params;
    const session = await ort.InferenceSession.create(exportTwoTowerOnnx(p).user);
    expect(session.inputNames).toEqual([TOWER_IO.user.index]);
    const out = await session.run({ [TOWER_IO.user.index]: new ort.Tensor('int64', BigInt64Array.from([0n, 5n, 7n]), [3]) });
    const expected = userTowerForward(p, Int32Array.from([0, 5, 7]), new Float32Array(0));
    expect(maxAbsDiff(out[TOWER_IO.user.output]!.data as Float32Array, expected)).toBeLessThan(1e-4);
    await session.release();
  });

  it('saves the item embeddings as a checksummed retrieval index that serves the same top items', async () => {
    const rootDir = await mkdtemp(path.join(tmpdir(), 'frec-retrieval-'));
    dirs.push(rootDir);
    const itemEmbeddings = itemTowerForward(params, s.train.itemFeatures);
    const itemIds = Array.from({ length: 60 }, (_, i) => i + 100);
    const manifest = await saveRetrievalIndex({ rootDir, itemIds, itemEmbeddings, dim: 8, metadata: { model: 'two_tower' } });
    expect(manifest).toMatchObject({ version: 'v0001', kind: 'hnsw', count: 60, dim: 8, metadata: { model: 'two_tower' } });
    const { index } = await loadItemIndex(rootDir);
    const q = userTowerForward(params, Int32Array.from([3]), s.userFeaturesByUser.subarray(15, 20));
    const exact = Array.from({ length: 60 }, (_, j) => {
      let d = 0;
      for (let k = 0; k < 8; k++) d += q[k]! * itemEmbeddings[j * 8 + k]!;
      return { itemId: itemIds[j]!, d };
    }).sort((a, b) => b.d - a.d);
    expect(index.search(q, 5).map((h) => h.itemId)).toEqual(exact.slice(0, 5).map((e) => e.itemId));
  });

  it('exports a two-member ensemble as one graph per side, matching ensembleUserForward and ensembleItemForward within 1e-4', async () => {
    const second = trainTwoTower(s.train, { epochs: 2, batchSize: 64, embeddingDim: 8, hidden: [16, 12], outputDim: 8, seed: 142 }).params;
    const ens = towerEnsemble([params, second]);
    const graphs = exportTwoTowerOnnx(ens);
    const ids = [0, 17, 39, -1];
    const feats = new Rng(4).normalArray(ids.length * 5, 1);
    const us = await ort.InferenceSession.create(graphs.user);
    const out = await us.run({
      [TOWER_IO.user.index]: new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [ids.length]),
      [TOWER_IO.user.features]: new ort.Tensor('float32', feats, [ids.length, 5]),
    });
    expect(out[TOWER_IO.user.output]!.dims).toEqual([ids.length, 16]);
    expect(maxAbsDiff(out[TOWER_IO.user.output]!.data as Float32Array, ensembleUserForward(ens, Int32Array.from(ids), feats))).toBeLessThan(
      1e-4,
    );
    const is = await ort.InferenceSession.create(graphs.item);
    const items = await is.run({
      [TOWER_IO.item.index]: new ort.Tensor('int64', BigInt64Array.from(Array.from({ length: 60 }, (_, i) => BigInt(i))), [60]),
      [TOWER_IO.item.features]: new ort.Tensor('float32', s.train.itemFeatures, [60, 7]),
    });
    expect(maxAbsDiff(items[TOWER_IO.item.output]!.data as Float32Array, ensembleItemForward(ens, s.train.itemFeatures))).toBeLessThan(
      1e-4,
    );
    expect(Object.fromEntries(decodeModel(graphs.user).metadataProps.map((p) => [p.key, p.value]))).toMatchObject({
      members: '2',
      output_dim: '16',
    });
    await us.release();
    await is.release();
  });

  it('is deterministic and carries metadata', () => {
    expect(Buffer.from(exportTwoTowerOnnx(params).user).equals(Buffer.from(user))).toBe(true);
    const meta = Object.fromEntries(decodeModel(user).metadataProps.map((p) => [p.key, p.value]));
    expect(meta).toMatchObject({ model: 'streamrec-two-tower', tower: 'user', output_dim: '8', feature_dim: '5' });
  });
});

describe('DCN-V2 ONNX export and Triton repository', () => {
  const data = syntheticRanking(800, 9, 21);
  const { params } = trainRanker(data, { epochs: 2, batchSize: 64, crossLayers: 3, hidden: [16, 8] });

  it('ranker in onnxruntime matches the training code within 1e-4 for several batch sizes', async () => {
    const session = await ort.InferenceSession.create(exportRankerOnnx(params));
    for (const n of [1, 17, 256]) {
      const x = data.x.subarray(0, n * 9);
      const out = await session.run({ [RANKER_IO.input]: new ort.Tensor('float32', Float32Array.from(x), [n, 9]) });
      const got = out[RANKER_IO.output]!;
      expect(got.dims).toEqual([n, 1]);
      expect(maxAbsDiff(got.data as Float32Array, rankerPredict(params, x, n))).toBeLessThan(1e-4);
    }
    await session.release();
  });

  it('writes a Triton model repository whose config matches the ONNX graph', async () => {
    const repoDir = await mkdtemp(path.join(tmpdir(), 'frec-triton-'));
    dirs.push(repoDir);
    const files = await writeTritonRanker(params, { repoDir, maxBatchSize: 512, preferredBatchSizes: [32, 128] });
    expect(files.modelPath).toBe(path.join(repoDir, 'streamrec_ranker', '1', 'model.onnx'));
    const bytes = await readFile(files.modelPath);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(files.sha256);
    const config = await readFile(path.join(repoDir, 'streamrec_ranker', 'config.pbtxt'), 'utf8');
    expect(config).toContain('name: "streamrec_ranker"');
    expect(config).toContain('platform: "onnxruntime_onnx"');
    expect(config).toMatch(/max_batch_size: 512\n/);
    expect(config).toMatch(/input \[\n {2}\{\n {4}name: "features"\n {4}data_type: TYPE_FP32\n {4}dims: \[ 9 \]/);
    expect(config).toMatch(/output \[\n {2}\{\n {4}name: "probability"\n {4}data_type: TYPE_FP32\n {4}dims: \[ 1 \]/);
    expect(config).toMatch(/dynamic_batching \{\n {2}preferred_batch_size: \[ 32, 128 \]\n {2}max_queue_delay_microseconds: 200\n\}/);
    // The config's names and dims agree with the graph Triton will load: first dim dynamic, the rest as declared.
    const graph = decodeModel(bytes).graph!;
    const input = graph.input![0]!;
    expect(input.name).toBe('features');
    const dims = input.type!.tensorType!.shape!.dim!;
    expect(dims[0]!.dimParam).toBe('batch');
    expect(Number(dims[1]!.dimValue)).toBe(9);
    expect(graph.output![0]!.name).toBe('probability');
    const session = await ort.InferenceSession.create(files.modelPath);
    const out = await session.run({ features: new ort.Tensor('float32', Float32Array.from(data.x.subarray(0, 18)), [2, 9]) });
    expect(maxAbsDiff(out.probability!.data as Float32Array, rankerPredict(params, data.x.subarray(0, 18)))).toBeLessThan(1e-4);
    await session.release();
  });

  it('returns the same files as registry artifacts', async () => {
    const files = rankerOnnxArtifacts(params, { modelName: 'rk', version: 3 });
    expect(files.map((f) => f.path)).toEqual(['model.onnx', 'triton/rk/3/model.onnx', 'triton/rk/config.pbtxt']);
    expect(Buffer.from(files[0]!.data).equals(Buffer.from(exportRankerOnnx(params)))).toBe(true);
    expect(new TextDecoder().decode(files[2]!.data)).toContain('name: "rk"');
    const tower = trainTwoTower(syntheticInteractions({ numUsers: 5, numItems: 8, n: 40, dUser: 2, dItem: 2 }).train, {
      epochs: 1,
      batchSize: 8,
    }).params;
    expect(twoTowerOnnxArtifacts(tower).map((f) => f.path)).toEqual(['user_tower.onnx', 'item_tower.onnx']);
  });

  it('refuses an invalid Triton entry with a clear error', async () => {
    await expect(writeTritonRanker(params, { repoDir: tmpdir(), modelName: 'bad name/..' })).rejects.toThrow(
      /not a valid repository entry/,
    );
    await expect(writeTritonRanker(params, { repoDir: tmpdir(), maxBatchSize: 8, preferredBatchSizes: [16] })).rejects.toThrow(
      /must lie in \[1, max_batch_size=8\]/,
    );
  });
});
