import { resolveRepoPath, type RepoConfig } from '../config/repo-config.js';
import { LocalRegistryStore } from './local/local-registry-store.js';
import type { RegistryStore } from './registry-store.js';

/** Picks the registry backend from the path: `s3://bucket/key` or a local file. */
export async function createRegistryStore(config: RepoConfig): Promise<RegistryStore> {
  const p = config.registry.path;
  if (p.startsWith('s3://')) {
    // Loaded on demand so local users never load the AWS SDK.
    const { S3RegistryStore } = await import('./s3/s3-registry-store.js');
    return new S3RegistryStore(p, { endpoint: config.registry.s3_endpoint, region: config.registry.s3_region });
  }
  return new LocalRegistryStore(resolveRepoPath(config, p));
}
