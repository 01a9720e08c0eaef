import { loadMovieLens, type LoadResult } from '../../data/movielens-loader.js';
import type { Step } from '../step.js';

/** Where the load step reads MovieLens from and writes its Parquet tables to. */
export interface LoadConfig {
  inputDir: string;
  dataDir: string;
  /** Keep only this many users (seeded), for tests. */
  maxUsers: number | undefined;
}

/** Load: the MovieLens folder into the feature repo's Parquet tables (interactions, items, tags). */
export const loadStep: Step<LoadConfig, void, LoadResult> = {
  name: 'load',
  async run(_input, config, ctx) {
    const load = await ctx.time('load', () =>
      loadMovieLens({
        inputDir: config.inputDir,
        outDir: config.dataDir,
        seed: ctx.seed,
        ...(config.maxUsers ? { maxUsers: config.maxUsers } : {}),
      }),
    );
    ctx.log(`  ${load.interactions} interactions, ${load.users} users, ${load.items} items, ${load.tags} tags (${load.format})`);
    return load;
  },
};
