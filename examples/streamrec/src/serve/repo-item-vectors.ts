import { existsSync } from 'node:fs';
import path from 'node:path';
import { FeatureStore } from '@frec/core';
import '@frec/offline';
import { readInteractions } from '../data/interactions.js';
import { D_ITEM, catalogSnapshot } from '../training-sets/build-training-sets.js';

/**
 * Item vectors as training saw them: every catalog item's features read from the feature repo's
 * offline store as of `atMs` (the same catalogSnapshot the pipeline uses), so the ranker gets tag
 * vectors and popularity windows exactly as defined. Undefined when the repo has no data yet.
 */
export async function repoItemVectors(repoPath: string, atMs: number): Promise<Map<number, Float32Array> | undefined> {
  const dataDir = path.join(repoPath, 'data');
  if (!existsSync(path.join(dataDir, 'items.parquet')) || !existsSync(path.join(dataDir, 'registry.json'))) return undefined;
  const store = await FeatureStore.open({ repoPath });
  try {
    const data = await readInteractions(dataDir);
    const snap = await catalogSnapshot(store, data, atMs);
    const out = new Map<number, Float32Array>();
    data.itemIds.forEach((id, i) => out.set(id, snap.itemFeatures.slice(i * D_ITEM, (i + 1) * D_ITEM)));
    return out;
  } finally {
    await store.close();
  }
}
