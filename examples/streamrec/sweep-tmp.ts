import { FeatureStore } from '@frec/core';
import { readInteractions } from './src/data/interactions.js';
import { globalTimeSplit, perUserTemporalSplit, rankerHoldout, seenItems } from './src/eval/protocols.js';
import { evaluate } from './src/eval/evaluate.js';
import { trainTwoTower } from './src/models/index.js';
import { catalogSnapshot, D_USER, twoTowerTrainingSet, userVectorsAt } from './src/training-sets/build-training-sets.js';
import { embedCatalog, twoTowerRank } from './src/pipeline/two-stage.js';
const repo = process.env.REPO!;
const store = await FeatureStore.open({ repoPath: repo });
const data = await readInteractions(repo + '/data');
const configs = JSON.parse(process.env.CONFIGS!) as object[];
for (const split of (process.env.SPLITS ?? 'per_user').split(',').map((s) => (s === 'global' ? globalTimeSplit(data, 0.2) : perUserTemporalSplit(data)))) {
  const seen = seenItems(data, split);
  const catalogAt = split.protocol === 'global_time' ? split.evalTimeMs.values().next().value! : split.trainEndMs;
  const catalog = await catalogSnapshot(store, data, catalogAt);
  const tt = await twoTowerTrainingSet(store, data, split, catalog);
  const hold = new Set(rankerHoldout(data, split));
  const keep = [...Array(tt.userIndex.length).keys()].filter((i) => !hold.has(i));
  const uf = new Float32Array(keep.length * D_USER); keep.forEach((r, i) => uf.set(tt.userFeatures.subarray(r * D_USER, (r + 1) * D_USER), i * D_USER));
  const towerData = { ...tt, userIndex: Int32Array.from(keep, (r) => tt.userIndex[r]!), itemIndex: Int32Array.from(keep, (r) => tt.itemIndex[r]!), userFeatures: uf };
  const users = [...split.test.keys()];
  const vecs = await userVectorsAt(store, data, users.map((u) => ({ user: u, atMs: split.evalTimeMs.get(u)! })), catalog.genresOf);
  const userVecs = new Map(users.map((u, i) => [u, vecs.slice(i * D_USER, (i + 1) * D_USER)]));
  for (const cfg of configs) {
    const t0 = performance.now();
    const { params } = trainTwoTower(towerData, { seed: 42, ...cfg });
    const r = evaluate('tt', split, seen, twoTowerRank(params, embedCatalog(params, catalog), userVecs), { recall500: true });
    console.log(split.protocol, JSON.stringify(cfg), r.ndcg20.toFixed(4), r.recall20.toFixed(4), r.recall500!.toFixed(4), ((performance.now() - t0) / 1000).toFixed(1) + 's');
  }
}
await store.close();
