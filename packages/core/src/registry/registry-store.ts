import type { RegistryData } from './registry-data.js';

/** What a store read: the data and an opaque token that a conditional write must present. */
export interface RegistrySnapshot {
  data: RegistryData;
  /** Local file: the generation; S3: the object's ETag. */
  token: string;
}

/**
 * A RegistryStore keeps the serialized registry somewhere (a local file, an S3 object).
 * Writes are conditional: they succeed only if nobody wrote since the snapshot was read.
 */
export interface RegistryStore {
  /** Reads the registry, or returns null when none was written yet. Corrupt or newer-format data throws. */
  read(): Promise<RegistrySnapshot | null>;
  /**
   * Writes `data` if the stored registry still matches `expectedToken` (null: must not exist yet).
   * Throws a RegistryError with code REGISTRY_CONFLICT otherwise.
   */
  write(data: RegistryData, expectedToken: string | null): Promise<RegistrySnapshot>;
  /** Removes the registry (teardown). */
  delete(): Promise<void>;
  /** Where it lives, for messages. */
  readonly location: string;
}
