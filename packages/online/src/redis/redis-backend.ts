/**
 * The few operations the Redis online store needs, implemented once for a standalone server
 * (redis-standalone.ts) and once for a Cluster (redis-cluster.ts).
 */
export interface RedisBackend {
  /**
   * Values of many keys, in key order (null when absent), in as few round trips as the topology
   * allows. `frames[i]`, when given, is `keyFrame(keys[i])`: the request can be copied from them.
   */
  getMany(keys: readonly string[], frames?: readonly Buffer[]): Promise<Array<Buffer | null>>;
  /** Conditional batch write (see redis-write-script.ts); returns how many rows were skipped as older. */
  conditionalSet(keys: readonly string[], rows: readonly Buffer[], expireAtMs: readonly number[]): Promise<number>;
  /** Sets a key only if it does not exist (schema records). */
  setIfAbsent(key: string, value: string): Promise<void>;
  /** Deletes every key matching a glob pattern, on every master; returns how many. */
  deleteMatching(pattern: string): Promise<number>;
  /** Counts the row keys matching a glob pattern, on every master, and reads their newest event time (monitoring only). */
  rowStats(pattern: string): Promise<{ rows: number; newestEventTimeMs: number | null }>;
  /** Called when an operation failed or timed out, so a Cluster can re-read its slot map. */
  onFailure?(): void;
  ping(): Promise<void>;
  close(): Promise<void>;
}
