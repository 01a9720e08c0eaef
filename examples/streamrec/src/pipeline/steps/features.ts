import { FeatureStore } from '@frec/core';
import { readInteractions, type Interactions } from '../../data/interactions.js';
import { computeFeatures } from '../../features/compute-features.js';
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
 * Features: the point-in-time feature tables computed from the loaded events, the feature repo's
 * definitions applied to its registry, and the interactions read back in time order.
 */
export const featuresStep: Step<FeaturesConfig, void, FeaturesResult> = {
  name: 'features',
  async run(_input, config, ctx) {
    await ctx.time('features', () => computeFeatures(config.dataDir, (t, n) => ctx.progress('features', `${t}: ${n} rows`)));
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
