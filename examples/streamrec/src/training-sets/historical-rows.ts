import type { FeatureStore } from '@frec/core';

/** Feature refs of the user-side views (long-term stats and short-term stream state). */
export const USER_FEATURE_REFS = [
  'user_stats:n_ratings',
  'user_stats:mean_rating',
  'user_stats:days_active',
  'user_stats:genre_affinity',
  'user_recent:last_10_items',
  'user_recent:session_length',
  'user_recent:session_duration',
] as const;

/** Feature refs of the item-side views (content, tags, popularity). */
export const ITEM_FEATURE_REFS = [
  'item_content:genres',
  'item_content:year',
  'item_tags:tag_vector',
  'item_stats:pop_7d',
  'item_stats:pop_30d',
  'item_stats:item_n_ratings',
  'item_stats:item_mean_rating',
] as const;

/** Examples are looked up this long before their interaction, so the interaction itself is never a feature. */
export const LOOKUP_OFFSET_MS = 1000;

/**
 * Point-in-time feature rows from the offline store, returned in the order of `entities`
 * (each entity row carries a `row_id` that the result is re-ordered by).
 */
export async function historicalRows(
  store: FeatureStore,
  entities: Array<Record<string, unknown>>,
  selector: { featureService: string } | { features: readonly string[] },
): Promise<Array<Record<string, unknown>>> {
  const withIds = entities.map((e, i) => ({ ...e, row_id: i }));
  const job = await store.getHistoricalFeatures({
    entities: withIds,
    ...('featureService' in selector ? { featureService: selector.featureService } : { features: [...selector.features] }),
  });
  const rows = await job.toRows();
  const out = new Array<Record<string, unknown>>(entities.length);
  for (const r of rows) out[Number(r.row_id)] = r;
  return out;
}
