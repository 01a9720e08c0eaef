import type { FeatureViewSpec } from '../definitions/specs.js';
import { keyString, parseKey } from './parse-event.js';

/**
 * The partition of an entity key: FNV-1a (32 bit) of the key's string form (`keyString`) modulo
 * the partition count. Producers and tools must all use this function, so that every event of one
 * entity lands in one partition (ADR 0090); it never changes for a given key and count.
 * @example partitionOf('42', 8) // the same number on every machine and run
 */
export function partitionOf(key: string, partitions: number): number {
  if (partitions <= 1) return 0;
  let h = 0x811c9dc5;
  const bytes = Buffer.from(key, 'utf8');
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % partitions;
}

/**
 * The partition of one raw event of a stream view: its entity key, parsed and typed as the worker
 * parses it (so `1` and `'1'` agree), hashed by `partitionOf`. An event without a valid key goes to
 * partition 0, where the worker dead-letters it.
 */
export function partitionOfEvent(view: FeatureViewSpec, event: Record<string, unknown>, partitions: number): number {
  if (partitions <= 1) return 0;
  const key = parseKey(view, event);
  return Array.isArray(key) ? partitionOf(keyString(key), partitions) : 0;
}

/** The partition count of a view's stream source (1 when it declares none or is not a stream). */
export function partitionsOf(view: FeatureViewSpec): number {
  return view.source.type === 'stream' ? (view.source.partitions ?? 1) : 1;
}
