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
