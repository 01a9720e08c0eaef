import { describe, expect, it } from 'vitest';
import { ensembleDim, ensembleItemForward, ensembleUserForward, towerEnsemble, trainTwoTower } from '../src/models/index.js';
import { historyQuery, RECENT_DECAY_GRID, RECENT_WEIGHT_GRID } from '../src/retrieval/index.js';
import { syntheticInteractions } from '../src/models/synthetic.js';
import { Rng } from '../src/nn/rng.js';
import { tuneHistoryQuery } from '../src/pipeline/two-stage/index.js';
import { scoreAll } from '../src/nn/matvec.js';
import { ndcgAtK, topK } from '../src/eval/metrics.js';
import { recentItemRows } from '../src/training-sets/vectorize.js';
import { ndcgAt } from './fixtures.js';

describe('retrieval query with recent items', () => {
  // Three items in 2 dimensions; the user embedding sits at offset 2 of its array.
  const items = Float32Array.from([1, 0, 0, 1, 1, 1]);
  const user = Float32Array.from([9, 9, 0.5, -0.5]);

  it('adds weight x the mean embedding of the recent items to the user embedding', () => {
    expect(Array.from(historyQuery(user, 2, 2, items, [0, 2], 0.5))).toEqual([0.5 + 0.5 * 1, -0.5 + 0.5 * 0.5]);
    expect(Array.from(historyQuery(user, 2, 2, items, Int32Array.of(1), 2))).toEqual([0.5, 1.5]);
  });

  it('is the user embedding alone at weight 0 or with no recent items', () => {
    expect(Array.from(historyQuery(user, 2, 2, items, [0, 1, 2], 0))).toEqual([0.5, -0.5]);
    expect(Array.from(historyQuery(user, 2, 2, items, [], 3))).toEqual([0.5, -0.5]);
  });

  it('maps last_10_items ids to item rows, leaving out unknown ids and missing values', () => {
    const index = new Map([
      [101, 0],
      [205, 2],
    ]);
    expect(Array.from(recentItemRows({ last_10_items: [205, 999, 101] }, index))).toEqual([2, 0]);
    expect(Array.from(recentItemRows({ last_10_items: null }, index))).toEqual([]);
    expect(Array.from(recentItemRows({}, index))).toEqual([]);
  });
});

describe('recency decay', () => {
  it('weighs item i (newest first) by decay^i, normalized', () => {
    const items = Float32Array.from([1, 0, 0, 1]);
    const user = Float32Array.from([0, 0]);
    // Weights 1 and 0.5, normalized to 2/3 and 1/3.
    const q = historyQuery(user, 0, 2, items, [0, 1], 1, undefined, 0.5);
    expect(q[0]).toBeCloseTo(2 / 3, 6);
    expect(q[1]).toBeCloseTo(1 / 3, 6);
    // Decay 0 keeps the newest item only.
    expect(Array.from(historyQuery(user, 0, 2, items, [1, 0], 1, undefined, 0))).toEqual([0, 1]);
  });
});

describe('served user query', () => {
  it('weighs the newest of last_10_items most, as training and evaluation do', async () => {
    const { initTwoTower, twoTowerConfig, userTowerForward, towerEnsemble } = await import('../src/models/index.js');
    const { servedUserQuery } = await import('../src/serve/user-query.js');
    const { Rng } = await import('../src/nn/rng.js');
    const rng = new Rng(3);
    const data = {
      numUsers: 2,
      numItems: 3,
      userIndex: Int32Array.of(0, 1),
      itemIndex: Int32Array.of(0, 2),
      dUser: 2,
      userFeatures: rng.normalArray(4, 1),
      dItem: 1,
      itemFeatures: rng.normalArray(3, 1),
    };
    const single = initTwoTower(data, twoTowerConfig({ embeddingDim: 2, hidden: [], outputDim: 2, seed: 1 }));
    const params = towerEnsemble([single]);
    const items = Float32Array.from([1, 0, 0, 1, 5, 5]);
    const itemRows = new Map([
      [100, 0],
      [200, 1],
      [300, 2],
    ]);
    const vec = Float32Array.of(0.3, -0.2);
    const u = userTowerForward(single, Int32Array.of(1), vec);
    // Decay 0 keeps only the newest item: last_10_items lists 200 first, so 200 it is.
    const q = servedUserQuery({ params, history: { weight: 2, decay: 0 } }, 1, vec, { last_10_items: [200, 100, 999] }, itemRows, items);
    expect(q[0]).toBeCloseTo(u[0]!, 6);
    expect(q[1]).toBeCloseTo(u[1]! + 2, 6);
    // Weight 0: the user tower alone.
    expect(
      Array.from(servedUserQuery({ params, history: { weight: 0, decay: 1 } }, 1, vec, { last_10_items: [300] }, itemRows, items)),
    ).toEqual(Array.from(u));
  });
});

describe('scoring the catalog', () => {
  it('gives each row the same bits as its own dot product in feature order, whatever the row count and offset', () => {
    const rng = new Rng(8);
    for (const rows of [1, 4, 11]) {
      const dim = 7;
      const matrix = rng.normalArray(rows * dim, 1);
      const vec = rng.normalArray(dim + 3, 1);
      const want = Float64Array.from({ length: rows }, (_, i) => {
        let sum = 0;
        for (let f = 0; f < dim; f++) sum += matrix[i * dim + f]! * vec[3 + f]!;
        return sum;
      });
      expect(Array.from(scoreAll(matrix, dim, vec, 3, new Float64Array(rows)))).toEqual(Array.from(want));
      expect(Array.from(scoreAll(matrix, dim, vec, 3))).toEqual(Array.from(Float32Array.from(want)));
    }
  });
});

describe('tuning the recent-items query', () => {
  it('scores every grid point as the query itself would, and picks the best (a two-member ensemble)', () => {
    const s = syntheticInteractions({ numUsers: 30, numItems: 80, n: 900, dUser: 4, dItem: 5, seed: 11 });
    const tower = towerEnsemble([3, 103].map((seed) => trainTwoTower(s.train, { epochs: 2, batchSize: 64, seed }).params));
    const items = ensembleItemForward(tower, s.train.itemFeatures);
    const rng = new Rng(5);
    const pick = (n: number): number[] => Array.from({ length: n }, () => Math.floor(rng.next() * 80));
    const requests = Array.from({ length: 30 }, (_, u) => ({
      user: u,
      vector: s.userFeaturesByUser.slice(u * 4, (u + 1) * 4),
      recent: Int32Array.from(pick(u % 7)), // some users have no recent items
      exclude: new Set(pick(10)),
    }));
    const relevant = new Map(requests.map((q) => [q.user, new Set(pick(4).filter((i) => !q.exclude.has(i)))] as const));
    const tuned = tuneHistoryQuery({ tower, itemEmbeddings: items, requests, relevant });

    // The direct way: build each query with historyQuery and score the catalog with it.
    const dim = ensembleDim(tower);
    let best = '',
      bestV = -1;
    for (const decay of RECENT_DECAY_GRID) {
      for (const weight of RECENT_WEIGHT_GRID) {
        if (weight === 0 && decay !== RECENT_DECAY_GRID[0]) continue;
        let sum = 0;
        for (const q of requests) {
          const query = historyQuery(
            ensembleUserForward(tower, Int32Array.of(q.user), q.vector),
            0,
            dim,
            items,
            q.recent,
            weight,
            undefined,
            decay,
          );
          sum += ndcgAtK(topK(scoreAll(items, dim, query), 20, q.exclude), relevant.get(q.user)!, 20);
        }
        const v = sum / requests.length;
        expect(ndcgAt(tuned.grid, { weight, decay })).toBeCloseTo(v, 6);
        if (v > bestV + 1e-6) {
          best = `w${weight}/d${decay}`;
          bestV = v;
        }
      }
    }
    expect(tuned.grid).toHaveLength(1 + (RECENT_WEIGHT_GRID.length - 1) * RECENT_DECAY_GRID.length);
    expect(ndcgAt(tuned.grid, tuned.best)).toBeCloseTo(bestV, 6);
    expect(bestV).toBeGreaterThan(0);
    expect(best).not.toBe('');
  });
});
