import { describe, expect, it } from 'vitest';
import { trainRanker, trainTwoTower, twoTowerConfig } from '../src/models/index.js';
import { syntheticInteractions, syntheticRanking } from '../src/models/synthetic.js';
import { warmDcn, warmTwoTower } from '../src/models/warm-start.js';

const data = syntheticInteractions({ numUsers: 40, numItems: 30, n: 600, dUser: 3, dItem: 4, seed: 5 });
const config = twoTowerConfig({ epochs: 1, embeddingDim: 8, hidden: [16], outputDim: 8, seed: 1 });
const e = config.embeddingDim;
const row = (v: Float32Array, r: number) => Array.from(v.subarray(r * e, (r + 1) * e));

describe('warm start from a trained model', () => {
  const trained = trainTwoTower(data.train, config).params;
  // Yesterday's ids; today's data drops raw user 100, adds user 999 and item 555, and orders ids differently.
  const trainedIds = { userIds: Array.from({ length: 40 }, (_, i) => 100 + i), itemIds: Array.from({ length: 30 }, (_, i) => 500 + i) };
  const todayIds = {
    userIds: [...trainedIds.userIds.slice(1).reverse(), 999],
    itemIds: [555, ...trainedIds.itemIds.slice(0, 29)],
  };

  it('lays the tower out on the new ids by raw id: known ids keep their rows, new ids get fresh ones, the MLPs carry over', () => {
    const warm = warmTwoTower(trained, trainedIds, data.train, todayIds, config)!;
    // Today's user row 0 is raw user 139, trained at row 39.
    expect(row(warm.userEmbedding, 0)).toEqual(row(trained.userEmbedding, 39));
    expect(row(warm.itemEmbedding, 1)).toEqual(row(trained.itemEmbedding, 0));
    // New ids: the seeded initialisation, not some other id's trained row.
    const fresh = trainTwoTower(data.train, { ...config, epochs: 0 }).params;
    expect(row(warm.userEmbedding, 39)).toEqual(row(fresh.userEmbedding, 39));
    expect(row(warm.itemEmbedding, 0)).toEqual(row(fresh.itemEmbedding, 0));
    expect(Array.from(warm.userMlp[0]!.w)).toEqual(Array.from(trained.userMlp[0]!.w));
    expect(Array.from(warm.itemFeatureStd)).toEqual(Array.from(trained.itemFeatureStd));
    // Another layer width: no warm start (training then starts cold).
    expect(warmTwoTower(trained, trainedIds, data.train, todayIds, { ...config, hidden: [32] })).toBeUndefined();
  });

  it('training from the warm start begins where the trained model ended and leaves it untouched', () => {
    const before = Array.from(trained.userMlp[0]!.w);
    const cold = trainTwoTower(data.train, config).history[0]!.loss;
    const warm = trainTwoTower(data.train, config, { init: warmTwoTower(trained, trainedIds, data.train, trainedIds, config)! }).history[0]!
      .loss;
    // The first epoch from trained weights has a lower loss than the first epoch from the seed.
    expect(warm).toBeLessThan(cold);
    expect(Array.from(trained.userMlp[0]!.w)).toEqual(before);
  });

  it('the ranker warm-starts from a ranker of the same widths and refuses one that does not fit', () => {
    const rd = syntheticRanking(400, 6, 3);
    const r = trainRanker(rd, { epochs: 1, seed: 2 }).params;
    expect(warmDcn(r, 6, {})).toBe(r);
    expect(warmDcn(r, 7, {})).toBeUndefined();
    const cold = trainRanker(rd, { epochs: 1, seed: 2 }).history[0]!.loss;
    const warm = trainRanker(rd, { epochs: 1, seed: 2 }, { init: r }).history[0]!.loss;
    expect(warm).toBeLessThan(cold);
    expect(() => trainRanker(syntheticRanking(50, 7, 3), { epochs: 1 }, { init: r })).toThrow(/warm-start parameters do not fit/);
  });
});
