import path from 'node:path';
import { LocalModelStore } from './local/local-model-store.js';
import { ModelRegistry } from './model-registry.js';
import { S3ModelStore } from './s3/s3-model-store.js';

/** Where a feature repo keeps its models unless told otherwise. */
export const DEFAULT_MODEL_REGISTRY_DIR = 'data/models';

/**
 * Opens a model registry from a location: `s3://bucket/prefix` (S3, endpoint from
 * FREC_S3_ENDPOINT or AWS_ENDPOINT_URL for S3-compatible servers) or a folder path.
 * @example openModelRegistry('feature_repo/data/models')
 */
export function openModelRegistry(location: string, options: { baseDir?: string } = {}): ModelRegistry {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(location);
  if (m) {
    const endpoint = process.env.FREC_S3_ENDPOINT ?? process.env.AWS_ENDPOINT_URL;
    return new ModelRegistry(new S3ModelStore({ bucket: m[1]!, prefix: m[2] ?? '', ...(endpoint ? { endpoint } : {}) }));
  }
  return new ModelRegistry(new LocalModelStore(path.resolve(options.baseDir ?? process.cwd(), location)));
}
