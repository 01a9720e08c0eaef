import { finiteScoresCheck, itemsInCatalogCheck, type ShadowCheck } from '@frec/model-serving/gate';
import { rerank, type RerankOptions } from '../recommender/rerank/rerank-pipeline.js';
import type { Catalog } from '../recommender/sources/retrieval-source.js';
import type { ItemId, RecommendRequest, RecommendResponse, RecommendTrace } from '../recommender/types.js';

/** What one side answered in a gate run: the response and what the request path saw. */
export interface TracedAnswer {
  response: RecommendResponse;
  trace: RecommendTrace;
}

/** A StreamRec gate check. */
export type StreamRecCheck = ShadowCheck<RecommendRequest, TracedAnswer>;

/**
 * The seed's shadow bug one: NaN scores for items nobody has interacted with yet (a CTR-like
 * feature computed as 0/0). Checks the candidate's raw scores on candidates with zero impressions.
 */
export function zeroImpressionScoresCheck(impressionsOf: (id: ItemId) => number): StreamRecCheck {
  return {
    name: 'zero_impression_scores_finite',
    description: 'items with zero impressions get a finite score',
    check: ({ candidate }) => {
      const s = candidate.trace.rawScores;
      if (!s) return undefined;
      const bad: ItemId[] = [];
      candidate.trace.candidates.forEach((id, i) => {
        if (impressionsOf(id) === 0 && !Number.isFinite(s[i]!)) bad.push(id);
      });
      return bad.length === 0 ? undefined : `${bad.length} zero-impression items scored non-finite, e.g. ${bad.slice(0, 5).join(', ')}`;
    },
  };
}

/** The seed's shadow bug two: removed (delisted) items returned. Checks every returned item against the current catalog. */
export function noRemovedItemsCheck(catalog: Pick<Catalog, 'has'>): StreamRecCheck {
  return itemsInCatalogCheck(
    (a: TracedAnswer) => a.response.items.map((i) => i.itemId),
    (id) => catalog.has(id),
    'no_removed_items',
  );
}

/**
 * The seed's shadow bug three: diversity applied before promotional boosts. Re-applies the rules
 * in RERANK_ORDER (promotions, diversity, filters) to the list that entered the candidate's
 * re-ranking and compares the head of the list (the long-tail slots at the end depend on exposure
 * history and are left out).
 */
export function rerankOrderCheck(rules: Pick<RerankOptions, 'genresOf' | 'promotions' | 'diversity' | 'filters'>): StreamRecCheck {
  return {
    name: 'promotions_before_diversity',
    description: 're-ranking applies promotions, then diversity, then filters',
    check: ({ candidate }) => {
      const { trace, response } = candidate;
      if (trace.ranked.length === 0) return undefined;
      const seen = new Set(trace.seen);
      const expected = rerank(trace.ranked, {
        ...rules,
        count: trace.count,
        filters: [{ name: 'seen', keep: (i) => !seen.has(i.itemId) }, ...(rules.filters ?? [])],
      });
      const head = Math.max(0, Math.min(response.items.length, trace.count) - trace.exposureSlots);
      for (let i = 0; i < head; i++) {
        const got = response.items[i]?.itemId;
        const want = expected[i]?.itemId;
        if (got !== want) return `position ${i}: item ${String(got)} where the rule order gives ${String(want)}`;
      }
      return undefined;
    },
  };
}

/** The gate's StreamRec checks: finite scores, the seed's three shadow bugs. */
export function streamRecGateChecks(options: {
  catalog: Pick<Catalog, 'has'>;
  impressionsOf: (id: ItemId) => number;
  rules: Pick<RerankOptions, 'genresOf' | 'promotions' | 'diversity' | 'filters'>;
}): StreamRecCheck[] {
  return [
    finiteScoresCheck(
      (a: TracedAnswer) => a.trace.rawScores ?? new Float32Array(0),
      (a, i) => a.trace.candidates[i]!,
    ),
    zeroImpressionScoresCheck(options.impressionsOf),
    noRemovedItemsCheck(options.catalog),
    rerankOrderCheck(options.rules),
  ];
}
