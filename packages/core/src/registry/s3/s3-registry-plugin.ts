import { definePlugin } from '../../plugins/plugin-registry.js';
import { s3RegistryConfigSchema } from './s3-registry-config.js';

/** The registry store of an `s3://` path: one object written with conditional PUTs. */
export const s3RegistryStore = definePlugin({
  kind: 'registryStore',
  type: 's3',
  description: 'one S3 object, conditional PUTs',
  configSchema: s3RegistryConfigSchema,
  // Loaded on demand so local users never load the AWS SDK.
  create: async (config) => {
    const { S3RegistryStore } = await import('./s3-registry-store.js');
    return new S3RegistryStore(config.path, { endpoint: config.s3_endpoint, region: config.s3_region });
  },
});
