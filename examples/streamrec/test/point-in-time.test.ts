import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeatureStore } from '@frec/core';
import { loadMovieLens } from '../src/data/movielens-loader.js';
import { backfillStreamViews } from '../src/features/stream-view-backfill.js';
import { historicalRows, LOOKUP_OFFSET_MS } from '../src/training-sets/historical-rows.js';
import { csvFixture, tempFeatureRepo, type Fixture } from './fixtures.js';

const DAY = 86_400_000;
const dayStart = (ms: number): number => Math.floor(ms / DAY) * DAY;

describe('point-in-time training examples', () => {
  let fx: Fixture;
  let repo: string;
  let store: FeatureStore;
  let rows: Array<Record<string, unknown>>;
  let examples: Array<{ user: number; item: number; ms: number }>;

  beforeAll(async () => {
    fx = csvFixture(5, 10, 20);
    repo = tempFeatureRepo();
    await loadMovieLens({ inputDir: fx.dir, outDir: path.join(repo, 'data') });
    await backfillStreamViews(repo);
    store = await FeatureStore.open({ repoPath: repo });
    await store.apply();
    examples = fx.ratings.map((r) => ({ user: r.user, item: r.item, ms: r.ts * 1000 }));
    rows = await historicalRows(
      store,
      examples.map((e) => ({
        user_id: e.user,
        item_id: e.item,
        event_timestamp: new Date(e.ms - LOOKUP_OFFSET_MS),
        hour_of_day: 1,
        day_of_week: 2,
      })),
      { featureService: 'ranker_v1' },
    );
  });
  afterAll(async () => {
    await store?.close();
    for (const d of [fx?.dir, repo]) if (d) rmSync(d, { recursive: true, force: true });
  });

  it('returns one row per example, in order', () => {
    expect(rows).toHaveLength(examples.length);
    rows.forEach((r, i) => {
      expect(r.user_id).toBe(examples[i]!.user);
      expect(r.item_id).toBe(examples[i]!.item);
    });
  });

  it('never lets a value computed from the example or later events reach it', () => {
    let checkedStats = 0;
    rows.forEach((r, i) => {
      const ex = examples[i]!;
      const at = ex.ms - LOOKUP_OFFSET_MS;
      // User aggregates over all history, ending at the lookup time (inclusive).
      const userPast = fx.ratings.filter((x) => x.user === ex.user && x.ts * 1000 <= at);
      if (userPast.length === 0) expect(r.n_ratings).toBeNull();
      else {
        checkedStats++;
        expect(r.n_ratings).toBe(userPast.length);
        expect(r.mean_rating as number).toBeCloseTo(userPast.reduce((s, x) => s + x.rating, 0) / userPast.length, 6);
        expect(r.days_active).toBe(new Set(userPast.map((x) => dayStart(x.ts * 1000))).size);
      }
      // Per-event stream state: strictly earlier events, newest first, at most 10.
      const before = fx.ratings.filter((x) => x.user === ex.user && x.ts * 1000 <= at).sort((a, b) => b.ts - a.ts || b.item - a.item);
      if (before.length === 0) expect(r.last_10_items).toBeNull();
      else expect(r.last_10_items).toEqual(before.slice(0, 10).map((x) => x.item));
      expect(r.last_10_items ?? []).not.toContain(ex.item);
      // Item popularity windows end at the lookup time; their start is snapped to the 1-day tile (docs/aggregations.md).
      const itemPast = fx.ratings.filter((x) => x.item === ex.item && x.ts * 1000 <= at);
      expect(r.item_n_ratings ?? 0).toBe(itemPast.length);
      expect(r.pop_7d).toBe(itemPast.filter((x) => x.ts * 1000 >= dayStart(at) - 7 * DAY).length);
      expect(r.pop_30d).toBe(itemPast.filter((x) => x.ts * 1000 >= dayStart(at) - 30 * DAY).length);
    });
    expect(checkedStats).toBeGreaterThan(20);
  });

  it('computes the request-context on-demand features from the request fields', () => {
    expect(rows[0]!.hour_sin as number).toBeCloseTo(Math.sin((2 * Math.PI) / 24), 9);
    expect(rows[0]!.is_weekend).toBe(0);
  });
});
