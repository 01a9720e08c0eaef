import type { RepoConfig } from '@frec/core/spi';

/**
 * A ModelStore is where model versions live: a local folder or an S3 prefix. Keys are
 * '/'-separated paths relative to the registry root.
 */
export interface ModelStore {
  /** Human-readable location, for messages. */
  readonly location: string;
  /** Reads a file, or null when it does not exist. */
  read(key: string): Promise<Uint8Array | null>;
  write(key: string, data: Uint8Array): Promise<void>;
  /** Writes only if the key does not exist yet; false when it already does (claims a version number). */
  writeIfAbsent(key: string, data: Uint8Array): Promise<boolean>;
  /** Keys under a prefix (recursive). */
  list(prefix: string): Promise<string[]>;
}

/** What a model store plugin is given besides its config. */
export interface ModelStoreContext {
  /** The folder a relative `path` resolves against (the feature repo, or the working directory). */
  baseDir: string;
  /** The feature repo's config, when the registry is opened for one. */
  repoConfig?: RepoConfig;
}

// The model store is a plugin kind of its own, added to core's kinds from here (core knows nothing of models).
declare module '@frec/core/spi' {
  interface PluginKinds {
    /** Where `openModelRegistry(location)` keeps versions; the type is the location's URI scheme (`s3://...` is 's3'), 'local' for a folder. */
    modelStore: { instance: ModelStore; context: ModelStoreContext };
  }
}
