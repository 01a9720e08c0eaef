import { seededRandom } from '@frec/core/spi';
import type { ItemId, RequestContext, UserFeatures } from '../../../src/recommender/types.js';
import { InMemoryCatalog } from '../../../src/recommender/in-memory-catalog.js';
import { TrendingSource } from '../../../src/recommender/sources/trending-source.js';
import { CoOccurrenceSource } from '../../../src/recommender/sources/co-occurrence-source.js';
import { ContentSimilaritySource } from '../../../src/recommender/sources/content-similarity-source.js';
import { AnnSource } from '../../../src/recommender/sources/ann-source.js';
import { ExactItemIndex } from '@frec/model-serving/item-index';
import { concatRankBatch, RetrievalScoreRanker, type Ranker } from '@frec/model-serving/ranking';
import type { RecommenderOptions } from '../../../src/recommender/recommender.js';

export const rng = seededRandom;

export const GENRES = ['action', 'comedy', 'drama', 'horror', 'romance', 'scifi'];
export const ITEM_DIM = 4;
export const USER_DIM = 3;

/** A small seeded world: items with genres and features, user histories, and the four sources. */
export function syntheticWorld(seed = 7, nItems = 1000, nUsers = 60) {
  const rand = rng(seed);
  const items = Array.from({ length: nItems }, (_, i) => {
    const g1 = GENRES[Math.floor(rand() * GENRES.length)]!;
    const g2 = GENRES[Math.floor(rand() * GENRES.length)]!;
    const genres = g1 === g2 ? [g1] : [g1, g2];
    const features = Float32Array.from({ length: ITEM_DIM }, () => rand() * 2 - 1);
    return { id: i + 1, genres, features };
  });
  const catalog = new InMemoryCatalog(items);
  // Popularity follows a Zipf-like law so trending has a head and a tail.
  const weights = items.map((_, i) => 1 / (i + 1));
  const total = weights.reduce((a, b) => a + b, 0);
  const pick = (): number => {
    let r = rand() * total;
    for (let i = 0; i < weights.length; i++) if ((r -= weights[i]!) <= 0) return i + 1;
    return nItems;
  };
  const histories: number[][] = Array.from({ length: nUsers }, () => Array.from({ length: 20 }, pick));
  const now = Date.UTC(2026, 0, 1);
  const events = histories.flatMap((h) => h.map((itemId, j) => ({ itemId, timeMs: now - (h.length - j) * 3_600_000 })));
  const trending = TrendingSource.fromEvents(events, { nowMs: now });
  const coOccurrence = CoOccurrenceSource.fromHistories(histories);
  const content = new ContentSimilaritySource(items.map((i) => ({ id: i.id, vector: GENRES.map((g) => (i.genres.includes(g) ? 1 : 0)) })));
  const vectors = new Float32Array(items.length * ITEM_DIM);
  items.forEach((it, r) => vectors.set(it.features, r * ITEM_DIM));
  const index = ExactItemIndex.build(
    items.map((i) => i.id),
    vectors,
    ITEM_DIM,
    { metric: 'ip' },
  );
  index.version = 'index-v1';
  const ann = new AnnSource({
    index,
    userVector: (f) => Float32Array.from({ length: ITEM_DIM }, (_, j) => f.vector[j % USER_DIM]!),
    version: 'two-tower-v1',
  });
  return { items, catalog, histories, trending, coOccurrence, content, ann, index, now };
}

/** Features of user `u` (1-based) in the synthetic world. */
export function userFeatures(world: ReturnType<typeof syntheticWorld>, userId: string | number): UserFeatures {
  const u = Number(userId);
  const h = world.histories[(u - 1) % world.histories.length] ?? [];
  return {
    vector: Float32Array.from([Math.sin(u), Math.cos(u), (u % 7) / 7]),
    recentItems: h.slice(-10),
    seenItems: new Set<ItemId>(h),
    interactionCount: h.length,
    stale: false,
  };
}

/** Stage budgets for tests that do not exercise timeouts. */
export const TEST_BUDGETS = { features: 1000, retrieval: 1000, ranking: 1000, total: 4000 };

/** Recommender options over the synthetic world, with a given ranker. */
export function recommenderOptions(
  world: ReturnType<typeof syntheticWorld>,
  ranker: Ranker,
  overrides: Partial<RecommenderOptions> = {},
): RecommenderOptions {
  return {
    catalog: world.catalog,
    sources: [
      { source: world.ann, k: 250 },
      { source: world.coOccurrence, k: 150 },
      { source: world.content, k: 150 },
      { source: world.trending, k: 100 },
    ],
    features: async (userId) => userFeatures(world, userId),
    defaultFeatures: () => ({ vector: new Float32Array(USER_DIM), recentItems: [], interactionCount: 0, stale: true }),
    ranker,
    fallbackRanker: new RetrievalScoreRanker(),
    buildBatch: (f, candidates, _ctx: RequestContext) =>
      concatRankBatch({
        user: f.vector,
        items: candidates.map((c) => world.catalog.features(c.itemId) ?? new Float32Array(ITEM_DIM)),
        retrievalScores: candidates.map((c) => c.retrievalScore),
      }),
    popular: (_u, n) => world.trending.list().slice(0, n),
    ...overrides,
    // Tests share 2 loaded cores: generous budgets unless a test sets its own for the stage it exercises.
    budgets: { ...TEST_BUDGETS, ...overrides.budgets },
  };
}
