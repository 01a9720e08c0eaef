import path from 'node:path';
import { ConfigError, ErrorCode } from '@frec/core';
import { didYouMean, findPlugin, formatZodError, registerPlugin, registeredTypes } from '@frec/core/spi';
import { localModelStore } from './local/local-model-store-plugin.js';
import { ModelRegistry } from './model-registry.js';
import type { ModelStore } from './model-store.js';
import { s3ModelStore } from './s3/s3-model-store-plugin.js';

// The built-in stores register like any other model store plugin would.
registerPlugin(localModelStore, s3ModelStore);

/** Where a feature repo keeps its models unless told otherwise. */
export const DEFAULT_MODEL_REGISTRY_DIR = 'data/models';

/** Options of openModelRegistry. */
export interface OpenModelRegistryOptions {
  /** Folder a relative location resolves against (default: the working directory). */
  baseDir?: string;
  /** S3 endpoint override (default: $FREC_S3_ENDPOINT, then $AWS_ENDPOINT_URL). */
  endpoint?: string;
  /** S3 region (default: $AWS_REGION, then us-east-1). */
  region?: string;
}

/** The model store type a location selects: its URI scheme ('s3' for s3://bucket/prefix), or 'local' for a folder or file:// URL. */
export function modelStoreTypeOf(location: string): string {
  const m = /^([a-z][a-z0-9+.-]*):\/\//i.exec(location);
  return m && m[1]!.toLowerCase() !== 'file' ? m[1]!.toLowerCase() : 'local';
}

/** Builds the model store of a location through the registered plugin of its scheme. */
export function openModelStore(location: string, options: OpenModelRegistryOptions = {}): ModelStore {
  const type = modelStoreTypeOf(location);
  const plugin = findPlugin('modelStore', type);
  if (!plugin) {
    const known = registeredTypes('modelStore');
    throw new ConfigError(
      `Model registry location '${location}' is a '${type}' location, and no model store is registered for it (registered: ${known.join(', ')}).${didYouMean(type, known)}`,
      {
        where: { location },
        hint: `Use a folder or s3://bucket/prefix, or import the package that registers a '${type}' model store first.`,
      },
      ErrorCode.UNKNOWN_PLUGIN,
    );
  }
  const section = {
    type,
    path: location,
    ...(type === 's3' && options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(type === 's3' && options.region ? { region: options.region } : {}),
  };
  const parsed = plugin.configSchema.safeParse(section);
  if (!parsed.success) {
    throw new ConfigError(`Model registry location '${location}' is invalid: ${formatZodError(parsed.error)}.`, {
      where: { location },
      hint: 'Use a folder path or s3://bucket/prefix.',
    });
  }
  const store = plugin.create(parsed.data, { baseDir: path.resolve(options.baseDir ?? process.cwd()) });
  return store instanceof Promise ? new PendingModelStore(location, store) : store;
}

/**
 * Opens a model registry from a location: `s3://bucket/prefix` (S3, endpoint from
 * FREC_S3_ENDPOINT or AWS_ENDPOINT_URL for S3-compatible servers) or a folder path; another
 * scheme needs a registered `modelStore` plugin of that type.
 * @example openModelRegistry('feature_repo/data/models')
 */
export function openModelRegistry(location: string, options: OpenModelRegistryOptions = {}): ModelRegistry {
  return new ModelRegistry(openModelStore(location, options));
}

/** A store whose plugin builds it asynchronously: calls wait for it, so opening the registry stays synchronous. */
class PendingModelStore implements ModelStore {
  constructor(
    readonly location: string,
    private readonly store: Promise<ModelStore>,
  ) {
    // A failed build is reported by the first call that needs the store, not as an unhandled rejection.
    store.catch(() => undefined);
  }

  read(key: string): Promise<Uint8Array | null> {
    return this.store.then((s) => s.read(key));
  }

  write(key: string, data: Uint8Array): Promise<void> {
    return this.store.then((s) => s.write(key, data));
  }

  writeIfAbsent(key: string, data: Uint8Array): Promise<boolean> {
    return this.store.then((s) => s.writeIfAbsent(key, data));
  }

  list(prefix: string): Promise<string[]> {
    return this.store.then((s) => s.list(prefix));
  }
}
