/**
 * Query tuning ranks each held-out request once per grid point, skipping the user's seen items and
 * items not yet in the catalog (ADR 0076). This compares `topK` with that rule evaluated per item
 * and call (`excludeAt`), the rule evaluated once per request into a mask (the previous tuning
 * code), and the scores packed once per request over the items the rule leaves (`allowedItems`,
 * what `tuneHistoryQuery` does now), against a plain Set of seen items (the raw baseline: no
 * catalog rule at all). Seeded scores, MovieLens-sized catalog, interleaved rounds.
 *
 *   npx tsx bench/streamrec-models/exclusion-mask.ts [--requests 300] [--rounds 5] [--points 57]
 */
import { parseArgs } from 'node:util';
import { mulberry32 } from '../../examples/streamrec/src/nn/rng.js';
import { topK } from '../../examples/streamrec/src/eval/metrics.js';
import { allowedItems, excludeAt, type ItemExclusion } from '../../examples/streamrec/src/eval/catalog-at.js';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '300' },
    rounds: { type: 'string', default: '5' },
    points: { type: 'string', default: '57' },
  },
});
const ITEMS = 9742,
  POINTS = Number(values.points),
  requests = Number(values.requests);
const rand = mulberry32(11);
const firstSeen = Float64Array.from({ length: ITEMS }, () => rand() * 2e12);
const scores = Float64Array.from({ length: ITEMS }, () => rand());
const seen = new Set(Array.from({ length: 150 }, () => Math.floor(rand() * ITEMS)));
const at = 1.6e12;

const mask = (exclude: ItemExclusion): ItemExclusion => {
  const m = new Uint8Array(ITEMS);
  for (let i = 0; i < ITEMS; i++) if (exclude.has(i)) m[i] = 1;
  return { has: (item) => m[item] === 1 };
};
/** One request: its exclusion prepared once, then ranked at every grid point. */
const excluding = (make: () => ItemExclusion) => (): Int32Array => {
  const ex = make();
  let top: Int32Array = new Int32Array(0);
  for (let p = 0; p < POINTS; p++) top = topK(scores, 20, ex);
  return top;
};
const packed = (): Int32Array => {
  const allowed = allowedItems(excludeAt(firstSeen, at, seen), ITEMS);
  const s = Float64Array.from(allowed, (i) => scores[i]!);
  let top: Int32Array = new Int32Array(0);
  for (let p = 0; p < POINTS; p++) {
    top = topK(s, 20);
    for (let i = 0; i < top.length; i++) top[i] = allowed[top[i]!]!;
  }
  return top;
};
const contenders: Array<[string, () => Int32Array]> = [
  ['rule per item', excluding(() => excludeAt(firstSeen, at, seen))],
  ['mask per request', excluding(() => mask(excludeAt(firstSeen, at, seen)))],
  ['packed per request', packed],
  ['plain Set (no rule)', excluding(() => seen)],
];
const want = contenders[0]![1]();
for (const [name, run] of contenders.slice(1, 3))
  if (run().some((x, i) => x !== want[i])) throw new Error(`${name} ranks differently from the rule`);

const times = new Map<string, number[]>(contenders.map(([n]) => [n, []]));
for (let r = 0; r < Number(values.rounds); r++) {
  for (const [name, run] of contenders) {
    const t0 = performance.now();
    for (let q = 0; q < requests; q++) run();
    times.get(name)!.push((performance.now() - t0) / requests);
  }
}
const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
const ours = median(times.get('packed per request')!);
for (const [name] of contenders) {
  const m = median(times.get(name)!);
  console.log(`${name.padEnd(20)} ${m.toFixed(3)} ms per request (${POINTS} rankings), ${(m / ours).toFixed(2)}x the packed time`);
}
