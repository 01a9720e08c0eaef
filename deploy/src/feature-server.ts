import type { Deployment } from 'kubernetes-models/apps/v1';
import type { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import type { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import type { Service } from 'kubernetes-models/v1';
import { ADAPTER_METRICS } from './adapter-rules.js';
import { NAMES, baseEnv, frecCommand, fromSecret, hardenedContainer, repoVolumes, resourcesOf } from './pod-spec.js';
import { scaledService, scrapeAnnotations } from './scaled-service.js';
import type { DeployValues } from './values.js';

/** Name of the feature server's Deployment, Service, HPA and PDB. */
export const FEATURE_SERVER = 'frec-feature-server';

/**
 * `frec serve` behind a Service: ready on /ready (registry loaded, online store answers), live on
 * /health; scaled on CPU and on requests per second per pod. One process per pod (`--workers 1`):
 * the autoscaler adds pods, which spread over nodes, where node:cluster could only add cores.
 */
export function featureServer(
  v: DeployValues,
  configChecksum: string,
): [Deployment, Service, HorizontalPodAutoscaler, PodDisruptionBudget] {
  const fs = v.featureServer;
  // POST /push with `to: offline` appends Parquet under data/pushed, so data/ is writable.
  const vol = repoVolumes(v, { dataReadOnly: false, tmpSize: '256Mi' });
  return scaledService(v, {
    name: FEATURE_SERVER,
    component: 'feature-server',
    values: fs,
    requestRate: { metric: ADAPTER_METRICS.featureServerRequestRate, perPod: fs.requestsPerSecondPerPod },
    podAnnotations: { ...scrapeAnnotations(fs.port), 'frec.dev/config-checksum': configChecksum },
    pod: {
      // The server drains on SIGTERM: /ready turns 503, in-flight requests finish, then it exits.
      terminationGracePeriodSeconds: 30,
      volumes: vol.volumes,
    },
    container: hardenedContainer({
      name: 'feature-server',
      image: v.image,
      command: frecCommand(
        v,
        'serve',
        '--host',
        '0.0.0.0',
        '--port',
        String(fs.port),
        '--workers',
        '1',
        '--store-timeout-ms',
        String(fs.storeTimeoutMs),
      ),
      ports: [{ name: 'http', containerPort: fs.port, protocol: 'TCP' }],
      env: [...baseEnv(fs.resources), fromSecret('FREC_API_KEYS', NAMES.apiKeysSecret, NAMES.apiKeysKey)],
      resources: resourcesOf(fs.resources),
      volumeMounts: vol.mounts,
      startupProbe: { httpGet: { path: '/health', port: 'http' }, periodSeconds: 2, failureThreshold: 60 },
      readinessProbe: { httpGet: { path: '/ready', port: 'http' }, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 2 },
      livenessProbe: { httpGet: { path: '/health', port: 'http' }, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 },
      // Endpoints drop the pod a few seconds after SIGTERM is sent; keep serving until then.
      lifecycle: { preStop: { exec: { command: ['sleep', '5'] } } },
    }),
  });
}
