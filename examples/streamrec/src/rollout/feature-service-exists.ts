import { FeatureStore } from '@frec/core';

/** Whether the repo's registry holds a feature service: a promotion checks it before it points production at one. */
export function featureServiceExists(repoPath: string): (svc: string) => Promise<boolean> {
  return async (svc) => {
    const fs = await FeatureStore.open({ repoPath });
    try {
      await fs.registry.getFeatureService(svc);
      return true;
    } catch {
      return false;
    } finally {
      await fs.close();
    }
  };
}
