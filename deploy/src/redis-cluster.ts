/**
 * The production setting of the Redis Cluster the online store uses (an external dependency,
 * deploy/README.md "Redis Cluster"): 3 masters with 1 replica each, and these redis.conf
 * directives on every node. deploy/test/redis-cluster.test.ts starts real redis-server processes
 * with them, so a directive Redis does not accept, or one the README leaves out, fails a test.
 */

/** Masters and replicas per master of the smallest production cluster. */
export const REDIS_CLUSTER_SHAPE = { masters: 3, replicasPerMaster: 1 } as const;

/** redis.conf directives (name -> value as CONFIG GET reports it), per node. */
export const REDIS_CLUSTER_SETTINGS: Readonly<Record<string, string>> = {
  'cluster-enabled': 'yes',
  // A master is failed over ~5-10 s after it stops answering; shorter risks failovers on a GC or network pause.
  'cluster-node-timeout': '5000',
  'cluster-replica-validity-factor': '10',
  // A failed slot range does not stop reads and writes of the other slots.
  'cluster-require-full-coverage': 'no',
  'cluster-allow-reads-when-down': 'no',
  appendonly: 'yes',
  // At most ~1 s of writes lost when a master and its replica crash together.
  appendfsync: 'everysec',
  'aof-use-rdb-preamble': 'yes',
  'no-appendfsync-on-rewrite': 'yes',
  // RDB snapshots for backups, beside the AOF.
  save: '3600 1',
  // Keys with a TTL (views with `ttl`, ADR 0022) go first; keys without one are never evicted.
  'maxmemory-policy': 'volatile-ttl',
  // A master cut off from its replica stops accepting writes instead of diverging.
  'min-replicas-to-write': '1',
  'min-replicas-max-lag': '10',
  'tcp-keepalive': '60',
  timeout: '0',
  'protected-mode': 'yes',
};

/** maxmemory as a share of the node's memory (set per node size: 0.75 x RAM). */
export const MAXMEMORY_SHARE = 0.75;

/** The settings as redis.conf lines. */
export function redisConf(settings: Readonly<Record<string, string>> = REDIS_CLUSTER_SETTINGS): string {
  return Object.entries(settings)
    .map(([k, v]) => `${k} ${v}`)
    .join('\n');
}
