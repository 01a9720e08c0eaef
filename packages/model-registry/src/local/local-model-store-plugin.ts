import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { definePlugin } from '@frec/core/spi';
import { localModelStoreConfigSchema } from './local-model-store-config.js';
import { LocalModelStore } from './local-model-store.js';

/** The model store of a folder path (the default). */
export const localModelStore = definePlugin({
  kind: 'modelStore',
  type: 'local',
  description: 'model versions in a local folder (the default)',
  configSchema: localModelStoreConfigSchema,
  create: (config, { baseDir }) =>
    new LocalModelStore(path.resolve(baseDir, config.path.startsWith('file://') ? fileURLToPath(config.path) : config.path)),
});
