import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { easeInputs, easeScorer, fitEase, invertSpd } from '../src/baselines/ease.js';
import { fitItemKnn, itemKnnScorer } from '../src/baselines/item-knn.js';
import { fitPureSvd, pureSvdScorer } from '../src/baselines/pure-svd.js';
import { TUNED_BASELINES, tuneAndEvaluate, type TunedBaseline } from '../src/baselines/tuned-baselines.js';
import { userItemLists } from '../src/baselines/user-items.js';
import type { Interactions } from '../src/data/interactions.js';
import { evaluate, type EvalResult } from '../src/eval/evaluate.js';
import { innerSplit } from '../src/eval/inner-split.js';
import { topK } from '../src/eval/metrics.js';
import { globalTimeSplit, perUserTemporalSplit, seenItems } from '../src/eval/protocols.js';
import { rollingOrigins, summarizeRolling } from '../src/eval/rolling-origin.js';
import { mulberry32 } from '../src/nn/rng.js';
import { parseRollingArgs, runRolling } from '../src/pipeline/rolling-cli.js';
import { csvFixture, interactionsOf } from './fixtures.js';

/** Two taste groups over 60 items: users 0..29 watch items 0..29, users 30..59 items 30..59, over ~60 days. */
function twoGroups(seed = 3): Interactions {
  const rand = mulberry32(seed);
  const ev: Array<[number, number, number]> = [];
  for (let u = 0; u < 60; u++) {
    const base = u < 30 ? 0 : 30;
    const picked = new Set<number>();
    while (picked.size < 14) picked.add(base + Math.floor(rand() * 30));
    let t = 1_500_000_000_000 + Math.floor(rand() * 20) * 86_400_000;
    for (const i of picked) ev.push([u, i, (t += Math.floor(rand() * 3) * 86_400_000 + 60_000)]);
  }
  return interactionsOf(ev, 60, 60);
}

/** Share of a user's top 10 unseen items that are in the user's own group. */
function inGroupShare(data: Interactions, scorer: (items: Int32Array) => Float32Array): number {
  const lists = userItemLists(
    data,
    Int32Array.from({ length: data.n }, (_, i) => i),
  );
  let hits = 0;
  for (let u = 0; u < 60; u++) {
    const top = topK(scorer(lists[u]!), 10, new Set(lists[u]));
    for (const it of top) if (it < 30 === u < 30) hits++;
  }
  return hits / 600;
}

describe('classical baselines', () => {
  it('inverts a symmetric positive definite matrix', () => {
    const rand = mulberry32(9);
    const m = 12;
    const x = Array.from({ length: m * m }, () => rand() - 0.5);
    const a = new Float64Array(m * m);
    for (let i = 0; i < m; i++)
      for (let j = 0; j < m; j++) {
        let s = i === j ? 0.5 : 0;
        for (let k = 0; k < m; k++) s += x[i * m + k]! * x[j * m + k]!;
        a[i * m + j] = s;
      }
    const inv = invertSpd(Float64Array.from(a), m);
    for (let i = 0; i < m; i++)
      for (let j = 0; j < m; j++) {
        let s = 0;
        for (let k = 0; k < m; k++) s += a[i * m + k]! * inv[k * m + j]!;
        expect(s).toBeCloseTo(i === j ? 1 : 0, 9);
      }
    expect(() => invertSpd(Float64Array.of(-1), 1)).toThrow(/not positive definite/);
  });

  it('EASE, ItemKNN and PureSVD recommend within the taste group a user watches', () => {
    const data = twoGroups();
    const all = Int32Array.from({ length: data.n }, (_, i) => i);
    const inputs = easeInputs(data, all);
    const ease = fitEase(inputs, 10);
    // EASE's weights have a zero diagonal: an item never recommends itself.
    for (let i = 0; i < ease.items.length; i++) expect(ease.weights[i * ease.items.length + i]).toBe(0);
    expect(inGroupShare(data, easeScorer(ease, 60))).toBeGreaterThan(0.95);
    expect(inGroupShare(data, itemKnnScorer(fitItemKnn(inputs, 10), 60))).toBeGreaterThan(0.95);
    const svd = fitPureSvd(userItemLists(data, all), 60, 4, 1);
    // The factors are orthonormal columns.
    for (let a = 0; a < 4; a++)
      for (let b = 0; b < 4; b++) {
        let s = 0;
        for (let i = 0; i < 60; i++) s += svd.itemFactors[i * 4 + a]! * svd.itemFactors[i * 4 + b]!;
        expect(s).toBeCloseTo(a === b ? 1 : 0, 6);
      }
    expect(inGroupShare(data, pureSvdScorer(svd, 2))).toBeGreaterThan(0.95);
  });

  it('chooses each value on the validation split, never on test', () => {
    const data = twoGroups();
    const split = globalTimeSplit(data, 0.2);
    const validation = innerSplit(data, split);
    // A baseline whose quality depends on its value: value 1 is the EASE ranking, 0 and 2 reversed.
    const fake: TunedBaseline = {
      model: 'fake',
      param: 'p',
      grid: [0, 1, 2],
      prepare: (d, train) => {
        const lists = userItemLists(d, train);
        const s = easeScorer(fitEase(easeInputs(d, train), 10), 60);
        return (v) => (u, _at, k, ex) =>
          topK(
            s(lists[u]!).map((x) => (v === 1 ? x : -x)),
            k,
            ex,
          );
      },
    };
    const { tuning, result } = tuneAndEvaluate(fake, data, split, seenItems(data, split), 1, validation);
    expect(tuning.chosen).toBe(1);
    expect(tuning.grid[1]!.ndcg).toBeGreaterThan(tuning.grid[0]!.ndcg);
    expect(tuning.validationUsers).toBe(validation.test.size);
    expect(result.users).toBe(split.test.size);
    for (const b of TUNED_BASELINES) {
      const r = tuneAndEvaluate(b, data, split, seenItems(data, split), 1, validation);
      expect(b.grid).toContain(r.tuning.chosen);
      const best = Math.max(...r.tuning.grid.map((g) => g.ndcg));
      expect(r.tuning.grid.find((g) => g.value === r.tuning.chosen)!.ndcg).toBe(best);
    }
  });

  it('builds the inner validation split from training events only, by the same protocol', () => {
    const data = twoGroups();
    for (const split of [globalTimeSplit(data, 0.2), perUserTemporalSplit(data)]) {
      const inner = innerSplit(data, split);
      const outerTrain = new Set(split.train);
      for (const e of inner.train) expect(outerTrain.has(e)).toBe(true);
      expect(inner.train.length).toBeLessThan(split.train.length);
      expect(inner.test.size).toBeGreaterThan(0);
      // Every validation item is a training event of the outer split after the user's request time.
      for (const [u, items] of inner.test)
        for (const it of items)
          expect(split.train.some((e) => data.user[e] === u && data.item[e] === it && data.timeMs[e]! > inner.evalTimeMs.get(u)!)).toBe(
            true,
          );
      if (split.protocol === 'global_time') {
        const cut = Math.max(...inner.train.map((e) => data.timeMs[e]!));
        for (const t of inner.evalTimeMs.values()) expect(t).toBeGreaterThanOrEqual(cut);
      }
    }
  });
});

describe('rolling-origin evaluation', () => {
  it('tests each origin on its own window after its training and validation data', () => {
    const data = twoGroups();
    const origins = rollingOrigins(data, { origins: 3, window: 0.1 });
    expect(origins).toHaveLength(3);
    for (const o of origins) {
      for (const e of o.test.train) expect(data.timeMs[e]!).toBeLessThan(o.cutoffMs);
      for (const e of o.validation.train) expect(data.timeMs[e]!).toBeLessThan(o.cutoffMs);
      for (const t of o.validation.evalTimeMs.values()) expect(t).toBeLessThan(o.cutoffMs);
    }
    for (let k = 1; k < 3; k++) expect(origins[k]!.cutoffMs).toBe(origins[k - 1]!.endMs);
    expect(() => rollingOrigins(data, { origins: 10, window: 0.1 })).toThrow(/too little training data/);
  });

  it('summarizes origins by their mean with an interval around it, and a paired difference of 0 for the same model', () => {
    const data = twoGroups();
    const runs: EvalResult[] = rollingOrigins(data, { origins: 2, window: 0.15 }).map((o) =>
      evaluate('svd', o.test, seenItems(data, o.test), (u, _a, k, ex) =>
        topK(
          Float32Array.from({ length: 60 }, (_, i) => (i < 30 === u < 30 ? 1 : 0)),
          k,
          ex,
        ),
      ),
    );
    const s = summarizeRolling(runs);
    expect(s.mean).toBeCloseTo((runs[0]!.ndcg20 + runs[1]!.ndcg20) / 2, 12);
    expect(s.lo).toBeLessThanOrEqual(s.mean);
    expect(s.hi).toBeGreaterThanOrEqual(s.mean);
    expect(summarizeRolling(runs, { paired: runs })).toEqual({ mean: 0, lo: 0, hi: 0 });
  });
});

describe('npm run rolling', () => {
  it('parses its options and refuses bad ones with a coded error', () => {
    expect(parseRollingArgs(['some/ml', '--origins', '3', '--window', '0.1', '--json'])).toMatchObject({
      input: path.resolve('some/ml'),
      origins: 3,
      window: 0.1,
      json: true,
      seed: 42,
    });
    expect(() => parseRollingArgs(['--window', '2'])).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }));
    expect(() => parseRollingArgs(['--origins', '0'])).toThrow(/--origins is '0'/);
    expect(() => parseRollingArgs(['--origins', '20', '--window', '0.05'])).toThrow(/stays under 0.9/);
  });

  it('evaluates every baseline at every origin of a MovieLens folder, as JSON', async () => {
    const fx = csvFixture(5, 80, 40);
    const out = JSON.parse(await runRolling({ ...parseRollingArgs([fx.dir, '--origins', '2', '--window', '0.15']), json: true }));
    expect(out.origins).toHaveLength(2);
    expect(out.models.map((m: { model: string }) => m.model)).toEqual([
      'popularity_all_time',
      'popularity_recent',
      'ease',
      'item_knn',
      'pure_svd',
    ]);
    for (const m of out.models) {
      expect(m.perOrigin).toHaveLength(2);
      expect(m.lo).toBeLessThanOrEqual(m.mean);
      expect(m.hi).toBeGreaterThanOrEqual(m.mean);
    }
    for (const o of out.origins)
      expect(o.tunings.map((t: { model: string }) => t.model)).toEqual(['popularity_recent', 'ease', 'item_knn', 'pure_svd']);
  }, 60_000);

  it('exits 1 with the error code on a bad option, 0 with --help', async () => {
    const run = promisify(execFile);
    const cli = path.join(import.meta.dirname, '../src/pipeline/rolling-cli.ts');
    const tsx = path.join(import.meta.dirname, '../../../node_modules/.bin/tsx');
    const help = await run(tsx, [cli, '--help']);
    expect(help.stdout).toContain('Rolling-origin evaluation');
    const bad = await run(tsx, [cli, '--window', 'x']).catch((e: { code: number; stderr: string }) => e);
    expect(bad).toMatchObject({ code: 1 });
    expect((bad as { stderr: string }).stderr).toContain('[INVALID_REQUEST]');
  }, 60_000);
});
