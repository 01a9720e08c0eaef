import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Path of the vendored MovieLens latest-small folder. */
export const MOVIELENS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../data/ml-latest-small');

/** Per-user movie ids in time order (ties by movie id), from ratings.csv. */
export function movieLensHistories(): Map<number, number[]> {
  const text = readFileSync(path.join(MOVIELENS_DIR, 'ratings.csv'), 'utf8');
  const rows: Array<[number, number, number]> = [];
  for (const line of text.split('\n').slice(1)) {
    if (!line) continue;
    const [u, m, , t] = line.split(',');
    rows.push([Number(u), Number(m), Number(t)]);
  }
  rows.sort((a, b) => a[0] - b[0] || a[2] - b[2] || a[1] - b[1]);
  const out = new Map<number, number[]>();
  for (const [u, m] of rows) {
    let h = out.get(u);
    if (!h) out.set(u, (h = []));
    h.push(m);
  }
  return out;
}
