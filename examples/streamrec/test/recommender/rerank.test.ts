import { describe, expect, it } from 'vitest';
import { RERANK_ORDER, rerank, type RankedItem } from '../../src/recommender/rerank/rerank-pipeline.js';
import { ExposureTracker } from '../../src/recommender/rerank/exposure-tracker.js';
import { rng } from './helpers/fixture.js';

// 60 items, scores descending, genres cycling so the head is dominated by 'drama'.
const genres = new Map<number, string[]>();
const items: RankedItem[] = Array.from({ length: 60 }, (_, i) => {
  const id = i + 1;
  genres.set(id, i < 20 ? ['drama'] : i % 2 ? ['comedy'] : ['action', 'drama']);
  return { itemId: id, score: 1 - i / 100, sources: ['two_tower'] };
});
const genresOf = (id: string | number) => genres.get(Number(id)) ?? [];

describe('rerank', () => {
  it('states its order: promotions, diversity, filters, long-tail exposure', () => {
    expect(RERANK_ORDER).toEqual(['promotions', 'diversity', 'filters', 'long_tail_exposure']);
  });

  it('applies promotional boosts before anything else', () => {
    const out = rerank(items, { count: 5, genresOf, promotions: new Map([[50, 1]]) });
    expect(out[0]!.itemId).toBe(50);
    expect(out[0]!.score).toBeCloseTo(1.51, 6);
  });

  it('caps items per genre, moving capped items down rather than out', () => {
    const out = rerank(items, { count: 20, genresOf, diversity: { kind: 'genre-cap', maxPerGenre: 3 } });
    expect(out).toHaveLength(20);
    const perGenre = new Map<string, number>();
    for (const i of out.slice(0, 6)) for (const g of genresOf(i.itemId)) perGenre.set(g, (perGenre.get(g) ?? 0) + 1);
    expect(perGenre.get('drama')).toBeLessThanOrEqual(3);
    expect(out.slice(0, 3).map((i) => i.itemId)).toEqual([1, 2, 3]);
  });

  it('MMR trades relevance for genre diversity', () => {
    const plain = rerank(items, { count: 10, genresOf });
    const diverse = rerank(items, { count: 10, genresOf, diversity: { kind: 'mmr', lambda: 0.5 } });
    const distinct = (l: RankedItem[]) => new Set(l.flatMap((i) => genresOf(i.itemId))).size;
    expect(distinct(plain)).toBe(1);
    expect(distinct(diverse)).toBeGreaterThanOrEqual(3);
    expect(diverse[0]!.itemId).toBe(1);
  });

  // The seed's bug three: filters ran before promotions and diversity, so a promoted (or
  // diversity-lifted) item that a filter forbids reached the response, and lists came back short.
  it('runs filters after promotions and diversity: a forbidden promoted item never shows, and the list stays full', () => {
    const blocked = new Set([50, 1, 2]);
    const out = rerank(items, {
      count: 20,
      genresOf,
      promotions: new Map([[50, 5]]),
      diversity: { kind: 'genre-cap', maxPerGenre: 2 },
      filters: [{ name: 'region_blocked', keep: (i) => !blocked.has(Number(i.itemId)) }],
    });
    expect(out).toHaveLength(20);
    for (const i of out) expect(blocked.has(Number(i.itemId))).toBe(false);
  });

  it('long-tail exposure gives slots to unexposed items until weekly coverage reaches the goal', () => {
    const catalogSize = 300;
    const all: RankedItem[] = Array.from({ length: catalogSize }, (_, i) => ({ itemId: i + 1, score: 1 / (i + 1), sources: ['x'] }));
    const simulate = (withRule: boolean) => {
      const tracker = new ExposureTracker();
      const rand = rng(3);
      const t = Date.UTC(2026, 0, 5);
      for (let r = 0; r < 400; r++) {
        // Each request sees the popular head plus a random slice of the tail as candidates.
        const candidates = all.filter((i) => Number(i.itemId) <= 30 || rand() < 0.2);
        const out = rerank(candidates, {
          count: 10,
          genresOf: () => [],
          ...(withRule ? { exposure: { tracker, catalogSize, target: 0.95, slots: 2, timeMs: t } } : {}),
        });
        tracker.record(
          out.map((i) => i.itemId),
          t,
        );
      }
      return tracker.coverage(catalogSize, t);
    };
    const without = simulate(false);
    const withRule = simulate(true);
    expect(without).toBeLessThan(0.1);
    expect(withRule).toBeGreaterThan(0.9);
  });

  // rerank stops as soon as the response and its exposure slots are filled; this reference applies
  // every rule to the whole list, in RERANK_ORDER, and both must agree on every seeded case.
  it('gives the same answer as applying each rule to the whole list', () => {
    const reference = (
      list: RankedItem[],
      o: { count: number; maxPerGenre?: number; blocked: Set<number>; tracker?: ExposureTracker; promo: Map<number, number> },
    ) => {
      let l = list.map((i) => ({ ...i, score: i.score + (o.promo.get(Number(i.itemId)) ?? 0) })).sort((a, b) => b.score - a.score);
      if (o.maxPerGenre !== undefined) {
        const used = new Map<string, number>();
        const head: RankedItem[] = [];
        const deferred: RankedItem[] = [];
        for (const i of l) {
          const g = genres.get(Number(i.itemId)) ?? [];
          if (g.some((x) => (used.get(x) ?? 0) >= o.maxPerGenre!)) deferred.push(i);
          else {
            for (const x of g) used.set(x, (used.get(x) ?? 0) + 1);
            head.push(i);
          }
        }
        l = head.concat(deferred);
      }
      l = l.filter((i) => !o.blocked.has(Number(i.itemId)));
      const top = l.slice(0, o.count);
      if (o.tracker && o.tracker.coverage(500, 0) < 0.95) {
        const fresh = l
          .slice(o.count)
          .filter((i) => !o.tracker!.exposed(i.itemId, 0))
          .slice(0, Math.min(2, top.length));
        for (let k = 0; k < fresh.length; k++) top[top.length - fresh.length + k] = fresh[k]!;
      }
      return top;
    };
    const rand = rng(11);
    for (let t = 0; t < 300; t++) {
      const list = items.filter(() => rand() < 0.8).map((i) => ({ ...i, score: Math.round(rand() * 10) / 10 }));
      const blocked = new Set(list.filter(() => rand() < 0.2).map((i) => Number(i.itemId)));
      const tracker = new ExposureTracker();
      tracker.record(
        list.filter(() => rand() < 0.5).map((i) => i.itemId),
        0,
      );
      const o = {
        count: Math.floor(rand() * 25),
        maxPerGenre: rand() < 0.7 ? 1 + Math.floor(rand() * 4) : undefined,
        blocked,
        tracker: rand() < 0.7 ? tracker : undefined,
        promo: new Map([[7, 0.35]]),
      };
      const out = rerank(list, {
        count: o.count,
        genresOf,
        promotions: o.promo,
        ...(o.maxPerGenre !== undefined ? { diversity: { kind: 'genre-cap' as const, maxPerGenre: o.maxPerGenre } } : {}),
        filters: [{ name: 'blocked', keep: (i) => !blocked.has(Number(i.itemId)) }],
        ...(o.tracker ? { exposure: { tracker: o.tracker, catalogSize: 500, timeMs: 0 } } : {}),
      });
      expect(out).toEqual(reference(list, o));
    }
  });

  it('exposure tracker forgets impressions older than a week', () => {
    const tr = new ExposureTracker();
    const day = 86_400_000;
    const t0 = Date.UTC(2026, 0, 1);
    tr.record([1, 2], t0);
    tr.record([3], t0 + 3 * day);
    expect(tr.coverage(4, t0 + 3 * day)).toBe(0.75);
    expect(tr.exposed(1, t0 + 8 * day)).toBe(false);
    expect(tr.coverage(4, t0 + 8 * day)).toBe(0.25);
  });
});
