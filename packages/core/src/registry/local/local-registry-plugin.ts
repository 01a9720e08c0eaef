import { resolveRepoPath } from '../../config/repo-config.js';
import { definePlugin } from '../../plugins/plugin-registry.js';
import { localRegistryConfigSchema } from './local-registry-config.js';
import { LocalRegistryStore } from './local-registry-store.js';

/** The registry store of a plain path: one JSON file, locked and renamed into place on each write. */
export const localRegistryStore = definePlugin({
  kind: 'registryStore',
  type: 'local',
  description: 'one JSON file beside the repo',
  configSchema: localRegistryConfigSchema,
  create: (config, { repoConfig }) => new LocalRegistryStore(resolveRepoPath(repoConfig, config.path.replace(/^file:\/\//, ''))),
});
