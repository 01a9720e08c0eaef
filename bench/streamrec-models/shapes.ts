import { Rng } from '../../examples/streamrec/src/nn/rng.js';
import type { RankerData, TwoTowerData } from '../../examples/streamrec/src/models/types.js';

/** MovieLens latest-small sized shapes (610 users, 9,742 items), overridable from the command line. */
export const SHAPES = { numUsers: 610, numItems: 9742, n: 80_000, dUser: 24, dItem: 32, rankerRows: 30_000, rankerD: 64 };

/** Seeded random two-tower data with a Zipf-like item distribution (speed only; no structure to learn). */
export function benchTwoTowerData(n = SHAPES.n, seed = 1): TwoTowerData {
  const rng = new Rng(seed);
  const { numUsers, numItems, dUser, dItem } = SHAPES;
  const userIndex = new Int32Array(n).map(() => rng.int(numUsers));
  const itemIndex = new Int32Array(n).map(() => Math.min(numItems - 1, Math.floor(Math.pow(rng.next(), 3) * numItems)));
  return {
    numUsers,
    numItems,
    userIndex,
    itemIndex,
    dUser,
    userFeatures: rng.normalArray(n * dUser, 1),
    dItem,
    itemFeatures: rng.normalArray(numItems * dItem, 1),
  };
}

/** Seeded random ranker rows. */
export function benchRankerData(n = SHAPES.rankerRows, d = SHAPES.rankerD, seed = 2): RankerData {
  const rng = new Rng(seed);
  return { n, d, x: rng.normalArray(n * d, 1), y: new Float32Array(n).map(() => (rng.next() < 0.2 ? 1 : 0)) };
}
