import type { Redis } from 'ioredis';

/**
 * The Redis key of a topic's stream: the topic itself when unpartitioned; partition p of it is
 * `{<topic>:p<p>}`, a hash tag of its own, so on a Redis Cluster each partition (and its
 * dead-letter stream `{<topic>:p<p>}:dead`) can live on its own slot.
 */
export function streamKeyOf(topic: string, partition?: number): string {
  return partition === undefined ? topic : `{${topic}:p${partition}}`;
}

/** The dead-letter stream of a topic's stream. */
export function deadKeyOf(streamKey: string): string {
  return `${streamKey}:dead`;
}

/** Deletes every key starting with `prefix` (SCAN + UNLINK in pages, so Redis is never stalled). */
export async function unlinkPrefix(client: Redis, prefix: string): Promise<number> {
  const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
  let cursor = '0';
  let n = 0;
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) n += await client.unlink(...keys);
  } while (cursor !== '0');
  return n;
}
