import { definePlugin } from '@frec/core/spi';
import { s3ModelStoreConfigSchema } from './s3-model-store-config.js';
import { S3ModelStore } from './s3-model-store.js';

/** The model store of an `s3://bucket/prefix` location; the AWS SDK loads on first use. */
export const s3ModelStore = definePlugin({
  kind: 'modelStore',
  type: 's3',
  description: 'model versions under an S3 prefix',
  configSchema: s3ModelStoreConfigSchema,
  create: (config) => {
    const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(config.path)!;
    const endpoint = config.endpoint ?? process.env.FREC_S3_ENDPOINT ?? process.env.AWS_ENDPOINT_URL;
    return new S3ModelStore({
      bucket: m[1]!,
      prefix: m[2] ?? '',
      ...(endpoint ? { endpoint } : {}),
      ...(config.region ? { region: config.region } : {}),
    });
  },
});
