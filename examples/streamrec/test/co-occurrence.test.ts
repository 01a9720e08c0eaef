import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalModelStore, ModelRegistry } from '@frec/model-registry';
import { loadProductionModels } from '../src/serve/load-models.js';
import { CoOccurrenceSource } from '../src/recommender/index.js';
import { twoTowerManifestParams } from '../src/models/manifest-params.js';
import {
  asEnsemble,
  serializeParams,
  ensembleDim,
  ensembleItemForward,
  ensembleUserForward,
  towerEnsemble,
  trainTwoTower,
} from '../src/models/index.js';
import { buildCoOccurrence, coOccurrenceScores, historyQuery } from '../src/retrieval/index.js';
import { syntheticInteractions } from '../src/models/synthetic.js';
import { Rng } from '../src/nn/rng.js';
import { scoreAll } from '../src/nn/matvec.js';
import { CO_OCCURRENCE_WEIGHT_GRID } from '../src/retrieval/index.js';
import { ndcgAtK, topK } from '../src/eval/metrics.js';
import { OfflineCandidates, tuneHistoryQuery, tuneRetrievalQuery } from '../src/pipeline/two-stage/index.js';
import type { Interactions } from '../src/data/interactions.js';
import { ndcgAt } from './fixtures.js';

/** Seeded histories: each user walks a ring of items, so nearby items co-occur often. */
function histories(users: number, items: number, length: number, seed: number): number[][] {
  const rng = new Rng(seed);
  return Array.from({ length: users }, () => {
    let at = Math.floor(rng.next() * items);
    return Array.from({ length }, () => (at = (at + 1 + Math.floor(rng.next() * 3)) % items));
  });
}

/** The histories as time-ordered events, users interleaved (each user's own order kept). */
function events(hs: number[][]): { user: Int32Array; item: Int32Array; order: Int32Array } {
  const user: number[] = [],
    item: number[] = [];
  const longest = Math.max(...hs.map((h) => h.length));
  for (let t = 0; t < longest; t++) hs.forEach((h, u) => t < h.length && (user.push(u), item.push(h[t]!)));
  return { user: Int32Array.from(user), item: Int32Array.from(item), order: Int32Array.from(user, (_, i) => i) };
}

describe('co-occurrence in the retrieval score (ADR 0078)', () => {
  it('counts pairs within the window, cosine-normalised, newest recent item weighing most', () => {
    // One user watched 0, 1, 2 in that order; window 1 pairs (0,1) and (1,2) only.
    const t = buildCoOccurrence(Int32Array.of(0, 0, 0), Int32Array.of(0, 1, 2), Int32Array.of(0, 1, 2), 4, { window: 1, neighbours: 5 });
    // Recent items newest first: 2 weighs 1, 0 weighs 1/2; item 1 neighbours both with cosine 1 / sqrt(1 x 1).
    const s = coOccurrenceScores(t, [2, 0], new Float64Array(4));
    expect(Array.from(s)).toEqual([0, 1.5, 0, 0]);
    // Item 0 and 2 are two apart: not neighbours at window 1.
    expect(Array.from(coOccurrenceScores(t, [0], new Float64Array(4)))).toEqual([0, 1, 0, 0]);
    // Neighbours are capped per item, best first, ties to the lower index.
    const capped = buildCoOccurrence(Int32Array.of(0, 0, 0), Int32Array.of(0, 1, 2), Int32Array.of(0, 1, 2), 4, {
      window: 1,
      neighbours: 1,
    });
    expect(Array.from(coOccurrenceScores(capped, [1], new Float64Array(4)))).toEqual([1, 0, 0, 0]);
  });

  it('scores every item as serving\u2019s co-occurrence source does on the same histories', () => {
    const hs = histories(40, 60, 25, 7);
    const ev = events(hs);
    const opts = { window: 4, neighbours: 6 };
    const table = buildCoOccurrence(ev.user, ev.item, ev.order, 60, opts);
    // Serving keys items by id; ids ascend with the dense index, as MovieLens ids do.
    const id = (i: number): number => 1000 + 7 * i;
    const served = CoOccurrenceSource.fromHistories(
      hs.map((h) => h.map(id)),
      opts,
    );
    const all = Array.from({ length: 60 }, (_, i) => id(i));
    const rng = new Rng(9);
    for (let r = 0; r < 20; r++) {
      const recentOldestFirst = Array.from({ length: 1 + (r % 10) }, () => Math.floor(rng.next() * 60));
      const ours = coOccurrenceScores(table, [...recentOldestFirst].reverse(), new Float64Array(60));
      const theirs = served.scoreItems(recentOldestFirst.map(id), all);
      const own = new Set(recentOldestFirst);
      for (let i = 0; i < 60; i++) if (!own.has(i)) expect(theirs[i]).toBeCloseTo(ours[i]!, 6);
      expect(Math.max(...ours)).toBeGreaterThan(0);
    }
  });

  it('is tuned after the query and the prior: each weight scored as the direct sum, positive when the next items co-occur', async () => {
    const s = syntheticInteractions({ numUsers: 30, numItems: 60, n: 900, dUser: 4, dItem: 5, seed: 13 });
    const tower = towerEnsemble([trainTwoTower(s.train, { epochs: 2, batchSize: 64, seed: 5 }).params]);
    const items = ensembleItemForward(tower, s.train.itemFeatures);
    const dim = ensembleDim(tower);
    const hs = histories(50, 60, 30, 21);
    const ev = events(hs);
    const table = buildCoOccurrence(ev.user, ev.item, ev.order, 60, { window: 3, neighbours: 10 });
    const rng = new Rng(17);
    const requests = Array.from({ length: 30 }, (_, u) => {
      const last = Math.floor(rng.next() * 60);
      return {
        user: u,
        vector: s.userFeaturesByUser.slice(u * 4, (u + 1) * 4),
        recent: Int32Array.of(last, (last + 59) % 60),
        exclude: new Set([last, (last + 59) % 60]),
      };
    });
    // First world: users go on to the items right after their last one on the ring (its co-occurring neighbours).
    const next = new Map(requests.map((q) => [q.user, new Set([1, 2, 3].map((k) => (q.recent[0]! + k) % 60))] as const));
    const tuned = tuneRetrievalQuery({ tower, itemEmbeddings: items, requests, relevant: next, coOccurrence: table });
    for (const gamma of CO_OCCURRENCE_WEIGHT_GRID) {
      let sum = 0;
      for (const q of requests) {
        const query = historyQuery(
          ensembleUserForward(tower, Int32Array.of(q.user), q.vector),
          0,
          dim,
          items,
          q.recent,
          tuned.best.weight,
          undefined,
          tuned.best.decay,
        );
        const scores = scoreAll(items, dim, query, 0, new Float64Array(60));
        const co = coOccurrenceScores(table, q.recent, new Float64Array(60));
        for (let i = 0; i < 60; i++) scores[i] = scores[i]! + gamma * co[i]!;
        sum += ndcgAtK(topK(scores, 20, q.exclude), next.get(q.user)!, 20);
      }
      expect(ndcgAt(tuned.grid, { ...tuned.best, coOccurrenceWeight: gamma })).toBeCloseTo(sum / requests.length, 5);
    }
    expect(tuned.coOccurrenceWeight).toBeGreaterThan(0);
    expect(ndcgAt(tuned.grid, { ...tuned.best, coOccurrenceWeight: tuned.coOccurrenceWeight })!).toBeGreaterThan(
      ndcgAt(tuned.grid, { ...tuned.best, coOccurrenceWeight: 0 })!,
    );
    // Second world: users go on to the items opposite theirs on the ring, which never co-occur: weight 0.
    const far = new Map(requests.map((q) => [q.user, new Set([30, 31, 32].map((k) => (q.recent[0]! + k) % 60))] as const));
    expect(tuneRetrievalQuery({ tower, itemEmbeddings: items, requests, relevant: far, coOccurrence: table }).coOccurrenceWeight).toBe(0);
    // Without a table there is no co-occurrence axis.
    const plain = tuneHistoryQuery({ tower, itemEmbeddings: items, requests, relevant: next });
    expect(plain.grid.length).toBeGreaterThan(0);
    expect(plain.grid.every((g) => g.coOccurrenceWeight === undefined)).toBe(true);
  });

  it('adds a co-occurrence candidate source: only items that co-occur, never an excluded one', () => {
    const n = 12;
    const data: Interactions = {
      n,
      user: new Int32Array(n),
      item: Int32Array.from({ length: n }, (_, i) => i % 6),
      rating: new Float32Array(n).fill(4),
      timeMs: Float64Array.from({ length: n }, (_, i) => i * 1000),
      userIds: [1],
      itemIds: [0, 1, 2, 3, 4, 5],
      itemTitles: ['', '', '', '', '', ''],
    };
    const train = Int32Array.from({ length: n }, (_, i) => i);
    const src = new OfflineCandidates(data, train, { twoTower: 1, trending: 0, popular: 0, coOccurrence: 3 });
    const tower = Float32Array.of(0, 0, 0, 0, 0, 9);
    const co = Float32Array.of(0, 0.5, 0.9, 0, 0.7, 0);
    // Tower's top item first, then co-occurring items by score; 4 is excluded, 0 and 3 score 0.
    expect(Array.from(src.candidates(tower, n * 1000, new Set([4]), co))).toEqual([5, 2, 1]);
    // Without scores the source adds nothing.
    expect(Array.from(src.candidates(tower, n * 1000, new Set([4])))).toEqual([5]);
  });

  it('travels with the registered two-tower; params that do not fit the schema fail the load, naming the field', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'frec-cooc-'));
    try {
      const s = syntheticInteractions({ numUsers: 5, numItems: 6, n: 40, dUser: 4, dItem: 5, seed: 3 });
      const tower = trainTwoTower(s.train, { epochs: 1, seed: 1 }).params;
      const reg = new ModelRegistry(new LocalModelStore(dir));
      const enc = new TextEncoder();
      const base = twoTowerManifestParams(asEnsemble(tower), { history: { weight: 0, decay: 1 }, popularityWeight: 0.5 });
      const register = async (params: Record<string, unknown>) => {
        const m = await reg.register({
          name: 'two_tower',
          featureService: 'two_tower_v1',
          trainingData: { start: '2000-01-01T00:00:00Z', end: '2001-01-01T00:00:00Z' },
          params,
          artifacts: [
            { path: 'params.json', data: enc.encode(serializeParams(tower)) },
            { path: 'ids.json', data: enc.encode(JSON.stringify({ userIds: [1, 2, 3, 4, 5], itemIds: [10, 11, 12, 13, 14, 15] })) },
          ],
        });
        await reg.promote('two_tower', m.version, { featureServiceExists: async () => true });
      };
      await register({ ...base, coOccurrenceWeight: 0.4, coOccurrenceWindow: 10, coOccurrenceNeighbours: 400 });
      const ok = await loadProductionModels({ registry: dir });
      expect(ok.twoTower!.coOccurrence).toEqual({ weight: 0.4, window: 10, neighbours: 400 });
      expect(ok.notes.join('\n')).not.toMatch(/co-occurrence/);
      await register({ ...base, coOccurrenceWeight: 0.4, coOccurrenceWindow: 0, coOccurrenceNeighbours: 400 });
      await expect(loadProductionModels({ registry: dir })).rejects.toMatchObject({
        name: 'ModelParamsError',
        code: 'MODEL_REGISTRY_ERROR',
        message: expect.stringMatching(/two_tower@2: its params are not StreamRec two-tower params \(coOccurrenceWindow: .*greater than 0/),
      });
      // Half a term is no term: the three come together.
      await register({ ...base, coOccurrenceWeight: 0.4 });
      await expect(loadProductionModels({ registry: dir })).rejects.toThrow(/two_tower@3: .*come together or not at all/);
      // An unknown param is a mismatch too (a typo would otherwise be ignored).
      await register({ ...base, recentWieght: 1 });
      await expect(loadProductionModels({ registry: dir })).rejects.toThrow(
        /two_tower@4: .*Unrecognized key\(s\) in object: 'recentWieght'/,
      );
      // A two-tower registered without the term retrieves without it, and says nothing.
      await register(base);
      const none = await loadProductionModels({ registry: dir });
      expect(none.twoTower!.coOccurrence).toBeUndefined();
      expect(none.twoTower!.history).toEqual({ weight: 0, decay: 1 });
      expect(none.notes.join('\n')).not.toMatch(/co-occurrence/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
