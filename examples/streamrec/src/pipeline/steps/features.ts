import { FeatureStore } from '@frec/core';
import { readInteractions, type Interactions } from '../../data/interactions.js';
import { backfillStreamViews } from '../../features/stream-view-backfill.js';
import type { Step } from '../step.js';

/** The feature repo the features step builds and applies. */
export interface FeaturesConfig {
  repoPath: string;
  dataDir: string;
}

/** The applied feature store and the interactions every later step reads. */
export interface FeaturesResult {
  /** Open: the caller closes it when the run ends. */
  store: FeatureStore;
  data: Interactions;
}

/**
 * Features: the stream views' offline rows backfilled from the loaded events (the stream worker's
 * code), then the feature repo's definitions applied. Nothing else is computed here: the rating
 * and tag aggregates are aggregation views that frec evaluates from the event files at each
 * training row's time (getHistoricalFeatures) and materializes for serving.
 */
export const featuresStep: Step<FeaturesConfig, void, FeaturesResult> = {
  name: 'features',
  async run(_input, config, ctx) {
    await ctx.time('features', () =>
      backfillStreamViews(config.repoPath, config.dataDir, (view, rows) => ctx.progress('features', `${view}: ${rows} rows`)),
    );
    const store = await FeatureStore.open({ repoPath: config.repoPath });
    try {
      await ctx.time('apply', () => store.apply());
      const data = await ctx.time('read-interactions', () => readInteractions(config.dataDir));
      return { store, data };
    } catch (e) {
      await store.close();
      throw e;
    }
  },
};
