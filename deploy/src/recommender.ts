import type { Deployment } from 'kubernetes-models/apps/v1';
import type { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import type { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import type { Service } from 'kubernetes-models/v1';
import { ADAPTER_METRICS } from './adapter-rules.js';
import { baseEnv, hardenedContainer, repoVolumes, resourcesOf } from './pod-spec.js';
import { scaledService, scrapeAnnotations } from './scaled-service.js';
import type { DeployValues } from './values.js';

/** Name of the recommender's Deployment, Service, HPA and PDB. */
export const RECOMMENDER = 'streamrec-recommender';

/**
 * StreamRec's `POST /recommendations` (examples/streamrec/src/serve/demo.ts --serve): it loads the
 * production models and indexes from the shared volume and reads user features from the online
 * store through feature_store.yaml. It listens only once everything is loaded; `/ready` (readiness)
 * turns 503 as soon as it starts draining on SIGTERM, while `/health` (liveness) only says the
 * process answers.
 */
export function recommender(v: DeployValues, configChecksum: string): [Deployment, Service, HorizontalPodAutoscaler, PodDisruptionBudget] {
  const r = v.recommender;
  // At start it applies the repo and materializes a view that has never been materialized, so data/ is writable.
  const vol = repoVolumes(v, { dataReadOnly: false, tmpSize: '512Mi' });
  return scaledService(v, {
    name: RECOMMENDER,
    component: 'recommender',
    values: r,
    requestRate: { metric: ADAPTER_METRICS.recommenderRequestRate, perPod: r.requestsPerSecondPerPod },
    podAnnotations: { ...scrapeAnnotations(r.port), 'frec.dev/config-checksum': configChecksum },
    pod: { terminationGracePeriodSeconds: 30, volumes: vol.volumes },
    container: hardenedContainer({
      name: 'recommender',
      image: v.image,
      command: [
        'node',
        '--import',
        'tsx',
        'examples/streamrec/src/serve/demo.ts',
        '--serve',
        '--no-train',
        '--host',
        '0.0.0.0',
        '--port',
        String(r.port),
        '--repo',
        v.repoPath,
      ],
      ports: [{ name: 'http', containerPort: r.port, protocol: 'TCP' }],
      env: baseEnv(r.resources),
      resources: resourcesOf(r.resources),
      volumeMounts: vol.mounts,
      // Loading models and indexes (and a first materialization) can take minutes; liveness waits for it.
      startupProbe: { httpGet: { path: '/health', port: 'http' }, periodSeconds: 5, failureThreshold: 120 },
      readinessProbe: { httpGet: { path: '/ready', port: 'http' }, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 2 },
      livenessProbe: { httpGet: { path: '/health', port: 'http' }, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 },
      lifecycle: { preStop: { exec: { command: ['sleep', '5'] } } },
    }),
  });
}
