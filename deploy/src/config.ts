import { createHash } from 'node:crypto';
import type { RepoConfigInput } from '@frec/core';
import type { duckdbOfflineStoreConfigSchema } from '@frec/offline';
import type { RedisOnlineStoreConfigInput } from '@frec/online';
import type { serverConfigSchema } from '@frec/feature-server';
import type { z } from 'zod';
import { ConfigMap, Namespace, PersistentVolumeClaim, ServiceAccount } from 'kubernetes-models/v1';
import { stringify } from 'yaml';
import { NAMES } from './pod-spec.js';
import type { DeployValues } from './values.js';

/**
 * The feature_store.yaml every pod mounts: the Redis Cluster online store, DuckDB over the shared
 * volume's Parquet offline, the registry on the shared volume. Each section is typed by the
 * schema of the plugin that owns it, and the tests parse it with those schemas.
 */
export function featureStoreConfig(v: DeployValues): RepoConfigInput & {
  online_store: RedisOnlineStoreConfigInput;
  offline_store: z.input<typeof duckdbOfflineStoreConfigSchema>;
  feature_server: z.input<typeof serverConfigSchema>;
} {
  return {
    project: 'streamrec',
    registry: { path: 'data/registry.json', cache_ttl_seconds: 5 },
    provider: 'local',
    // Imported by every process that opens the store, the CLI's and the recommender's alike.
    plugins: ['@frec/online', '@frec/offline', '@frec/streaming/redis-streams'],
    online_store: {
      type: 'redis',
      cluster: true,
      connection_string: v.redis.clusterNodes,
      key_prefix: v.redis.keyPrefix,
      connect_timeout_ms: v.redis.connectTimeoutMs,
      command_timeout_ms: v.redis.commandTimeoutMs,
    },
    offline_store: { type: 'duckdb', temp_directory: '/tmp/duckdb', memory_limit: '2GB', push_directory: 'data/pushed' },
    feature_server: { host: '0.0.0.0', port: v.featureServer.port },
  };
}

/** The ConfigMap holding feature_store.yaml. */
export function configMap(v: DeployValues): ConfigMap {
  const text = `# Rendered by deploy/src (npm run -w deploy render); API keys come from the ${NAMES.apiKeysSecret} Secret (FREC_API_KEYS).\n${stringify(featureStoreConfig(v), { lineWidth: 0 })}`;
  return new ConfigMap({
    metadata: { name: NAMES.configMap, namespace: v.namespace, labels: { 'app.kubernetes.io/part-of': 'frec' } },
    data: { 'feature_store.yaml': text },
  });
}

/** A digest of the config that pod templates carry, so a config change rolls the pods. */
export function checksumOf(cm: ConfigMap): string {
  return createHash('sha256').update(JSON.stringify(cm.data)).digest('hex').slice(0, 16);
}

/** Namespace, service account (no API access: pods do not mount its token) and the shared data volume. */
export function baseObjects(v: DeployValues): [Namespace, ServiceAccount, PersistentVolumeClaim] {
  const labels = { 'app.kubernetes.io/part-of': 'frec' };
  return [
    new Namespace({ metadata: { name: v.namespace, labels: { ...labels, 'pod-security.kubernetes.io/enforce': 'restricted' } } }),
    new ServiceAccount({ metadata: { name: NAMES.serviceAccount, namespace: v.namespace, labels }, automountServiceAccountToken: false }),
    new PersistentVolumeClaim({
      metadata: { name: v.dataVolume.claimName, namespace: v.namespace, labels },
      spec: {
        // Every workload reads the registry and models; workers and jobs write Parquet and models.
        accessModes: ['ReadWriteMany'],
        storageClassName: v.dataVolume.storageClassName,
        resources: { requests: { storage: v.dataVolume.size } },
      },
    }),
  ];
}
