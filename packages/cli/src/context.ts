import path from 'node:path';
import { FeatureStore } from '@frec/core';
import type { GlobalOptions } from './output.js';

/**
 * The backends the CLI ships with, loaded only when a verb first needs a store of that kind (a
 * repo's own `plugins:` come first, so it can override them).
 */
export const BUILT_IN_PLUGINS = [
  '@frec/online',
  '@frec/offline',
  '@frec/streaming/redis-streams',
  '@frec/streaming/nats-jetstream',
] as const;

/** Opens the feature store of the repo named by --chdir (default: the current directory). */
export async function openStore(opts: GlobalOptions): Promise<FeatureStore> {
  return FeatureStore.open({ repoPath: path.resolve(opts.chdir ?? process.cwd()), plugins: BUILT_IN_PLUGINS });
}

/** Runs `fn` with a store and always closes it, so the process can exit. */
export async function withStore<T>(opts: GlobalOptions, fn: (store: FeatureStore) => Promise<T>): Promise<T> {
  const store = await openStore(opts);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}
