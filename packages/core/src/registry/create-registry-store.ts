import type { RepoConfig } from '../config/repo-config.js';
import { createFromConfig } from '../plugins/create-plugin.js';
import { registerPlugin } from '../plugins/plugin-registry.js';
import { localRegistryStore } from './local/local-registry-plugin.js';
import type { RegistryStore } from './registry-store.js';
import { s3RegistryStore } from './s3/s3-registry-plugin.js';

// Core's own registry stores register like any plugin would.
registerPlugin(localRegistryStore, s3RegistryStore);

/** The registry store type a path selects: its URI scheme ('s3' for s3://bucket/key), or 'local' for a file path. */
export function registryTypeOf(p: string): string {
  const m = /^([a-z][a-z0-9+.-]*):\/\//i.exec(p);
  return m && m[1]!.toLowerCase() !== 'file' ? m[1]!.toLowerCase() : 'local';
}

/** Builds the registry store `registry:` names, through the plugin of its path's scheme. */
export function createRegistryStore(config: RepoConfig): Promise<RegistryStore> {
  return createFromConfig('registryStore', { type: registryTypeOf(config.registry.path), ...config.registry }, ['registry'], config);
}
