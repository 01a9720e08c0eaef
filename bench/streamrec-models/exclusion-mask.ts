/**
 * Query tuning ranks each held-out request once per grid point (21 times), skipping the user's seen
 * items and items not yet in the catalog (ADR 0076). This compares `topK` with that rule evaluated
 * per item and call (`excludeAt`) against the rule evaluated once per request into a mask
 * (`exclusionMask`, what `tuneHistoryQuery` does), and against a plain Set of seen items (the raw
 * baseline: no catalog rule at all). Seeded scores, MovieLens-sized catalog, interleaved rounds.
 *
 *   npx tsx bench/streamrec-models/exclusion-mask.ts [--requests 300] [--rounds 5]
 */
import { parseArgs } from 'node:util';
import { mulberry32 } from '../../examples/streamrec/src/baselines/rng.js';
import { topK } from '../../examples/streamrec/src/eval/metrics.js';
import { excludeAt, exclusionMask, type ItemExclusion } from '../../examples/streamrec/src/eval/catalog-at.js';

const { values } = parseArgs({ options: { requests: { type: 'string', default: '300' }, rounds: { type: 'string', default: '5' } } });
const ITEMS = 9742, POINTS = 21, requests = Number(values.requests);
const rand = mulberry32(11);
const firstSeen = Float64Array.from({ length: ITEMS }, () => rand() * 2e12);
const scores = Float64Array.from({ length: ITEMS }, () => rand());
const seen = new Set(Array.from({ length: 150 }, () => Math.floor(rand() * ITEMS)));
const at = 1.6e12;

const rule = excludeAt(firstSeen, at, seen);
const a = topK(scores, 20, rule), b = topK(scores, 20, exclusionMask(rule, ITEMS));
if (a.some((x, i) => x !== b[i])) throw new Error('the mask ranks differently from the rule');

const contenders: Array<[string, () => ItemExclusion]> = [
  ['rule per item', () => excludeAt(firstSeen, at, seen)],
  ['mask per request', () => exclusionMask(excludeAt(firstSeen, at, seen), ITEMS)],
  ['plain Set (no rule)', () => seen],
];
const times = new Map<string, number[]>(contenders.map(([n]) => [n, []]));
for (let r = 0; r < Number(values.rounds); r++) {
  for (const [name, make] of contenders) {
    const t0 = performance.now();
    for (let q = 0; q < requests; q++) {
      const ex = make();
      for (let p = 0; p < POINTS; p++) topK(scores, 20, ex);
    }
    times.get(name)!.push((performance.now() - t0) / requests);
  }
}
const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
const mask = median(times.get('mask per request')!);
for (const [name] of contenders) {
  const m = median(times.get(name)!);
  console.log(`${name.padEnd(20)} ${m.toFixed(3)} ms per request (${POINTS} rankings), ${(m / mask).toFixed(2)}x the mask's time`);
}
