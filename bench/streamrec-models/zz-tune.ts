import { readFileSync } from 'node:fs';
import { trainTwoTower, itemTowerForward, userTowerForward } from '../../examples/streamrec/src/models/index.js';
const DATA = 'examples/streamrec/data/ml-latest-small';
const movies = readFileSync(`${DATA}/movies.csv`, 'utf8').trim().split('\n').slice(1);
const movieIds: number[] = []; const genreLists: string[][] = [];
for (const line of movies) { movieIds.push(Number(line.slice(0, line.indexOf(',')))); genreLists.push(line.slice(line.lastIndexOf(',') + 1).split('|')); }
const genreNames = [...new Set(genreLists.flat())].sort();
const itemOf = new Map(movieIds.map((m, i) => [m, i]));
const dItem = genreNames.length;
const itemFeatures = new Float32Array(movieIds.length * dItem);
genreLists.forEach((g, i) => g.forEach((name) => (itemFeatures[i * dItem + genreNames.indexOf(name)] = 1)));
const byUser = new Map<number, { item: number; t: number }[]>();
for (const line of readFileSync(`${DATA}/ratings.csv`, 'utf8').trim().split('\n').slice(1)) {
  const [u, m, , t] = line.split(',');
  const k = Number(u) - 1;
  if (!byUser.has(k)) byUser.set(k, []);
  byUser.get(k)!.push({ item: itemOf.get(Number(m))!, t: Number(t) });
}
const trainU: number[] = [], trainI: number[] = [];
const test = new Map<number, Set<number>>(); const seen = new Map<number, Set<number>>();
for (const [u, evs] of byUser) {
  evs.sort((a, b) => a.t - b.t);
  const cut = Math.floor(evs.length * 0.8);
  seen.set(u, new Set(evs.slice(0, cut).map((e) => e.item)));
  test.set(u, new Set(evs.slice(cut).map((e) => e.item)));
  for (const e of evs.slice(0, cut)) { trainU.push(u); trainI.push(e.item); }
}
const numUsers = byUser.size, numItems = movieIds.length;
const data = { numUsers, numItems, userIndex: Int32Array.from(trainU), itemIndex: Int32Array.from(trainI), dUser: 0, userFeatures: new Float32Array(0), dItem, itemFeatures };
const pop = new Float64Array(numItems); for (const i of trainI) pop[i]!++;
function evalScores(scoreOf: (u: number) => ArrayLike<number>) {
  let ndcg = 0, rec = 0, n = 0;
  for (const [u, t] of test) {
    const s = scoreOf(u); const sn = seen.get(u)!;
    const idx = [...Array(numItems).keys()].filter((i) => !sn.has(i)).sort((a, b) => s[b]! - s[a]!).slice(0, 20);
    let dcg = 0, hits = 0; idx.forEach((i, r) => { if (t.has(i)) { dcg += 1 / Math.log2(r + 2); hits++; } });
    let idcg = 0; for (let r = 0; r < Math.min(20, t.size); r++) idcg += 1 / Math.log2(r + 2);
    ndcg += dcg / idcg; rec += hits / Math.min(20, t.size); n++;
  }
  return `ndcg@20 ${(ndcg / n).toFixed(4)} recall@20 ${(rec / n).toFixed(4)} users ${n}`;
}
console.log('popularity', evalScores(() => pop), 'train', trainU.length);
const configs = JSON.parse(process.argv[2] ?? '[{}]');
for (const cfg of configs) {
  const c0 = process.cpuUsage();
  const { alpha, ...rest } = cfg;
  const lq = new Float32Array(numItems); for (let j = 0; j < numItems; j++) lq[j] = (alpha ?? 1) * Math.log(Math.max(pop[j]!, 1) / trainU.length);
  const { params, history } = trainTwoTower({ ...data, itemLogQ: lq }, rest);
  const cpu = process.cpuUsage(c0).user / 1e6;
  const iv = itemTowerForward(params, itemFeatures);
  const uv = userTowerForward(params, Int32Array.from({ length: numUsers }, (_, i) => i), new Float32Array(0));
  const o = params.config.outputDim;
  console.log(JSON.stringify(cfg), evalScores((u) => { const s = new Float64Array(numItems); for (let j = 0; j < numItems; j++) { let d = 0; for (let k = 0; k < o; k++) d += uv[u * o + k]! * iv[j * o + k]!; s[j] = d; } return s; }), `loss ${history.at(-1)!.loss.toFixed(3)} cpu ${cpu.toFixed(1)}s`);
}
