import type { FeatureSelector, FeatureStore, FeatureValue } from '@frec/core';
import type { FeatureLookup } from './recommender.js';
import type { UserFeatures } from './types.js';

/** Per-feature status as getOnlineFeatures reports it. */
export type LookupStatus = 'PRESENT' | 'NOT_FOUND' | 'OUTSIDE_MAX_AGE' | 'NULL_VALUE';

/** Options of the FeatureStore-backed lookup. */
export interface FeatureStoreLookupOptions {
  store: Pick<FeatureStore, 'getOnlineFeatures'>;
  /** Feature refs ('view:feature'), or use `featureService`. */
  features?: string[];
  featureService?: string;
  /** The user entity's join key, e.g. 'user_id'. */
  joinKey: string;
  /** Maps one user's values and statuses (by feature name) to what the request path needs. */
  toUserFeatures: (values: Record<string, FeatureValue>, statuses: Record<string, LookupStatus>, userId: string | number) => UserFeatures;
}

/**
 * A FeatureLookup over `FeatureStore.getOnlineFeatures`: one entity row per request, batch and
 * stream features together. The recommender's guard bounds its latency; the online store's own
 * timeouts make a dead Redis fail fast rather than hang.
 */
export function featureStoreLookup(options: FeatureStoreLookupOptions): FeatureLookup {
  const selector: FeatureSelector = options.featureService
    ? { featureService: options.featureService }
    : { features: options.features ?? [] };
  return async (userId) => {
    const res = await options.store.getOnlineFeatures({ ...selector, entityRows: [{ [options.joinKey]: userId }] });
    const values: Record<string, FeatureValue> = {};
    const statuses: Record<string, LookupStatus> = {};
    res.featureNames.forEach((name, c) => {
      values[name] = res.values[c]![0]!;
      statuses[name] = res.statuses[c]![0]!;
    });
    return options.toUserFeatures(values, statuses, userId);
  };
}
