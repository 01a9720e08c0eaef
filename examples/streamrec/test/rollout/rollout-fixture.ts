import { concatRankBatch, type RankBatch, type Ranker } from '@frec/model-serving/ranking';
import { InMemoryCatalog } from '../../src/recommender/in-memory-catalog.js';
import { Recommender, type RecommenderOptions } from '../../src/recommender/recommender.js';
import { RecommendMetrics } from '../../src/recommender/recommend-metrics.js';
import type { ItemId } from '../../src/recommender/types.js';
import { recommenderOptions, syntheticWorld } from '../recommender/helpers/fixture.js';

/** Production ranker weights over [user(3) | item(4) | clicks, impressions]: the last two unused. */
export const PROD_WEIGHTS = [0.3, -0.2, 0.1, 1, 0.5, -0.5, 0.2, 0, 0];
export const CANDIDATE_WEIGHTS = [0.3, -0.2, 0.1, 0.9, 0.6, -0.5, 0.15, 0, 0];
/** The ranker manifest params serving checks (models/manifest-params.ts), for the tiny ONNX rankers of these tests. */
export const RANKER_PARAMS = { crossLayers: 0, hidden: [] as number[], d: PROD_WEIGHTS.length, blendWeight: 1, loss: 'listwise' as const };

/**
 * The synthetic world with impressions: each item's interaction count (and a click count) rides in
 * the ranker batch as two more item columns, as a CTR-style feature would.
 */
export function rolloutWorld(seed = 31) {
  const world = syntheticWorld(seed);
  const impressions = new Map<ItemId, number>();
  for (const h of world.histories) for (const id of h) impressions.set(id, (impressions.get(id) ?? 0) + 1);
  const impressionsOf = (id: ItemId): number => impressions.get(id) ?? 0;
  const clicksOf = (id: ItemId): number => Math.floor(impressionsOf(id) / 2);
  const buildBatch: RecommenderOptions['buildBatch'] = (f, candidates) =>
    concatRankBatch({
      user: f.vector,
      items: candidates.map((c) => {
        const base = world.catalog.features(c.itemId) ?? new Float32Array(4);
        return Float32Array.from([...base, clicksOf(c.itemId), impressionsOf(c.itemId)]);
      }),
      retrievalScores: candidates.map((c) => c.retrievalScore),
    });
  // Promoted: ten popular items; the genre cap of 3 makes diversity bite on a 20-item list.
  const promoted = world.trending
    .list()
    .slice(0, 10)
    .map((i) => i.itemId);
  const promotions = new Map<ItemId, number>(promoted.map((id) => [id, 0.5]));
  const rules = { promotions, diversity: { kind: 'genre-cap' as const, maxPerGenre: 3 } };
  const options = (ranker: Ranker, overrides: Partial<RecommenderOptions> = {}): RecommenderOptions =>
    recommenderOptions(world, ranker, { buildBatch, rerank: rules, ...overrides });
  const recommender = (ranker: Ranker, overrides: Partial<RecommenderOptions> = {}) =>
    new Recommender(options(ranker, { metrics: new RecommendMetrics(), ...overrides }));
  return { world, impressionsOf, buildBatch, rules, options, recommender, fullCatalog: () => new InMemoryCatalog(world.items) };
}

/**
 * A ranker with the seed's bug one: its CTR feature is clicks / impressions, so an item nobody has
 * seen yet scores 0/0 = NaN.
 */
export class CtrRanker implements Ranker {
  readonly kind = 'ctr-js';
  constructor(
    readonly version: string,
    private readonly weights = CANDIDATE_WEIGHTS,
  ) {}
  async score(batch: RankBatch): Promise<Float32Array> {
    const x = batch.inputs.x!;
    const d = x.dims[1]!;
    const out = new Float32Array(batch.size);
    for (let r = 0; r < batch.size; r++) {
      let z = 0;
      for (let j = 0; j < d - 2; j++) z += x.data[r * d + j]! * this.weights[j]!;
      const ctr = x.data[r * d + d - 2]! / x.data[r * d + d - 1]!;
      out[r] = 1 / (1 + Math.exp(-z)) + ctr;
    }
    return out;
  }
  async close(): Promise<void> {}
}

/** Wraps a ranker to throw, hang for `ms`, or answer NaN for every row. */
export function faulty(real: Ranker, mode: 'throw' | 'slow' | 'nan', version: string, ms = 300): Ranker {
  return {
    kind: `${real.kind}+${mode}`,
    version,
    score: async (batch, signal) => {
      if (mode === 'throw') throw new Error('ONNX session crashed');
      if (mode === 'slow') await new Promise((r) => setTimeout(r, ms));
      const s = await real.score(batch, signal);
      return mode === 'nan' ? s.map(() => NaN) : s;
    },
    close: async () => {},
  };
}
