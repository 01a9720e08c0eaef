import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { itemTowerForward, trainTwoTower, userTowerForward } from '../../examples/streamrec/src/models/index.js';
import type { TwoTowerData } from '../../examples/streamrec/src/models/types.js';

const DATA = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../examples/streamrec/data/ml-latest-small');

/** Two-tower training data straight from ml-latest-small: ratings >= 3.5 as positives, genres one-hot as item features. */
export function movieLensTwoTowerData(): { data: TwoTowerData; movieIds: number[] } {
  const movies = readFileSync(path.join(DATA, 'movies.csv'), 'utf8').trim().split('\n').slice(1);
  const movieIds: number[] = [];
  const genreLists: string[][] = [];
  for (const line of movies) {
    const id = Number(line.slice(0, line.indexOf(',')));
    const genres = line.slice(line.lastIndexOf(',') + 1).split('|');
    movieIds.push(id);
    genreLists.push(genres);
  }
  const genreNames = [...new Set(genreLists.flat())].sort();
  const itemOf = new Map(movieIds.map((m, i) => [m, i]));
  const dItem = genreNames.length;
  const itemFeatures = new Float32Array(movieIds.length * dItem);
  genreLists.forEach((g, i) => g.forEach((name) => (itemFeatures[i * dItem + genreNames.indexOf(name)] = 1)));
  const users: number[] = [];
  const items: number[] = [];
  const userOf = new Map<number, number>();
  for (const line of readFileSync(path.join(DATA, 'ratings.csv'), 'utf8').trim().split('\n').slice(1)) {
    const [u, m, r] = line.split(',');
    if (Number(r) < 3.5) continue;
    const uid = Number(u);
    if (!userOf.has(uid)) userOf.set(uid, userOf.size);
    users.push(userOf.get(uid)!);
    items.push(itemOf.get(Number(m))!);
  }
  return {
    data: {
      numUsers: userOf.size,
      numItems: movieIds.length,
      userIndex: Int32Array.from(users),
      itemIndex: Int32Array.from(items),
      dUser: 0,
      userFeatures: new Float32Array(0),
      dItem,
      itemFeatures,
    },
    movieIds,
  };
}

/** Trained item vectors (catalog) and user vectors (queries) from a short two-tower run on ml-latest-small. */
export function movieLensEmbeddings(epochs = 2): {
  items: Float32Array;
  users: Float32Array;
  dim: number;
  movieIds: number[];
  trainSeconds: number;
} {
  const { data, movieIds } = movieLensTwoTowerData();
  const { params, history } = trainTwoTower(data, { epochs });
  const items = itemTowerForward(params, data.itemFeatures);
  const userIdx = Int32Array.from({ length: data.numUsers }, (_, i) => i);
  const users = userTowerForward(params, userIdx, new Float32Array(0));
  return { items, users, dim: params.config.outputDim, movieIds, trainSeconds: history.reduce((a, h) => a + h.seconds, 0) };
}
