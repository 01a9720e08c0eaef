import type { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ADAPTER_METRICS } from './adapter-rules.js';
import { baseEnv, frecCommand, hardenedContainer, labelsOf, repoVolumes, resourcesOf, streamUrlEnv } from './pod-spec.js';
import { SCALING_BEHAVIOR, deploymentOf, scrapeAnnotations } from './scaled-service.js';
import type { DeployValues } from './values.js';

/** Name of the stream workers' Deployment, HPA and PDB. */
export const STREAM_WORKER = 'frec-stream-worker';

/**
 * `frec stream` workers sharing each view's consumer group: each pod is one consumer, named after
 * the pod, and a dead pod's pending events are claimed by the others after `--claim-idle-ms`
 * (ADR 0030); partitioned views move between pods by lease (ADR 0090). Each worker serves its own
 * metrics (`--metrics-port`): consumer lag per view and partition, scraped by a PodMonitor and
 * read by the lag autoscaler (an External metric, see adapter-rules.ts) and the lag alerts; the
 * same server answers the probes (/health: the process answers; /ready: it is consuming, 503 once
 * draining).
 */
export function streamWorker(v: DeployValues, configChecksum: string): [Deployment, HorizontalPodAutoscaler, PodDisruptionBudget] {
  const w = v.streamWorker;
  const { labels, selector } = labelsOf(STREAM_WORKER, 'stream-worker');
  const vol = repoVolumes(v, { dataReadOnly: false, tmpSize: '256Mi' });
  const views = w.views.length > 0 ? ['--views', w.views.join(',')] : [];
  const deployment = deploymentOf(
    v,
    STREAM_WORKER,
    'stream-worker',
    w,
    {
      // A stopping worker finishes and acknowledges its in-flight batches before it exits.
      terminationGracePeriodSeconds: 60,
      volumes: vol.volumes,
      containers: [
        hardenedContainer({
          name: 'stream-worker',
          image: v.image,
          // $(POD_NAME) is expanded by the kubelet from the env below.
          command: frecCommand(
            v,
            'stream',
            '--consumer',
            '$(POD_NAME)',
            '--claim-idle-ms',
            '30000',
            '--log-every',
            '30',
            '--metrics-port',
            String(w.metricsPort),
            ...views,
          ),
          ports: [{ name: 'metrics', containerPort: w.metricsPort, protocol: 'TCP' }],
          env: [...baseEnv(w.resources), { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }, streamUrlEnv()],
          resources: resourcesOf(w.resources),
          volumeMounts: vol.mounts,
          // The metrics server listens once the registry is read and the broker connected.
          startupProbe: { httpGet: { path: '/health', port: 'metrics' }, periodSeconds: 2, failureThreshold: 60 },
          readinessProbe: { httpGet: { path: '/ready', port: 'metrics' }, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 2 },
          livenessProbe: { httpGet: { path: '/health', port: 'metrics' }, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 },
        }),
      ],
    },
    { ...scrapeAnnotations(w.metricsPort), 'frec.dev/config-checksum': configChecksum },
  );
  const hpa = new HorizontalPodAutoscaler({
    metadata: { name: STREAM_WORKER, namespace: v.namespace, labels },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: STREAM_WORKER },
      minReplicas: w.minReplicas,
      // More consumers than a stream has partitions (Kafka) or busy entities (Redis Streams) only adds claim traffic.
      maxReplicas: w.maxReplicas,
      metrics: [
        {
          type: 'External',
          external: {
            metric: {
              name: ADAPTER_METRICS.streamLagSeconds,
              ...(w.views.length > 0 ? { selector: { matchExpressions: [{ key: 'view', operator: 'In', values: w.views }] } } : {}),
            },
            // replicas = ceil(current * lag / target): lag of 10x the target asks for 10x the workers; 0 when caught up.
            target: { type: 'Value', value: String(w.targetLagSeconds) },
          },
        },
      ],
      behavior: structuredClone(SCALING_BEHAVIOR) as never,
    },
  });
  const pdb = new PodDisruptionBudget({
    metadata: { name: STREAM_WORKER, namespace: v.namespace, labels },
    spec: { maxUnavailable: 1, selector: { matchLabels: selector } },
  });
  return [deployment, hpa, pdb];
}
