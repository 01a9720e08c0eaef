import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { Service, type IContainer, type IPodSpec } from 'kubernetes-models/v1';
import type { DeployValues, ScaledValues, ServiceValues } from './values.js';
import { hardenedPod, labelsOf, spreadOf } from './pod-spec.js';

/** What one HTTP workload needs to become a Deployment, Service, autoscaler and disruption budget. */
export interface ScaledServiceSpec {
  name: string;
  component: string;
  values: ServiceValues;
  container: IContainer;
  pod: Omit<IPodSpec, 'containers'>;
  /** Pods metric (served by prometheus-adapter) the autoscaler also scales on, and its per-pod target. */
  requestRate: { metric: string; perPod: number };
  /** Annotations of the pod template (scrape settings, config checksum). */
  podAnnotations: Record<string, string>;
}

/** The autoscaler's pace: scale up fast on load, down slowly so a dip does not shed warm pods. */
export const SCALING_BEHAVIOR = {
  scaleUp: {
    stabilizationWindowSeconds: 0,
    selectPolicy: 'Max',
    policies: [
      { type: 'Percent', value: 100, periodSeconds: 30 },
      { type: 'Pods', value: 4, periodSeconds: 30 },
    ],
  },
  scaleDown: { stabilizationWindowSeconds: 300, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 20, periodSeconds: 60 }] },
} as const;

/** A Deployment of `replicas` spread pods, rolling one surge pod at a time with none unavailable. */
export function deploymentOf(
  v: DeployValues,
  name: string,
  component: string,
  scaled: ScaledValues,
  pod: IPodSpec,
  podAnnotations: Record<string, string>,
): Deployment {
  const { labels, selector } = labelsOf(name, component);
  return new Deployment({
    metadata: { name, namespace: v.namespace, labels },
    spec: {
      // The autoscaler owns the count; this is the size before it first acts.
      replicas: scaled.minReplicas,
      revisionHistoryLimit: 5,
      selector: { matchLabels: selector },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } },
      template: {
        metadata: { labels, annotations: podAnnotations },
        spec: hardenedPod(v, { ...pod, topologySpreadConstraints: spreadOf(selector) }),
      },
    },
  });
}

/** Deployment + ClusterIP Service + HPA (CPU and request rate) + PodDisruptionBudget. */
export function scaledService(v: DeployValues, s: ScaledServiceSpec): [Deployment, Service, HorizontalPodAutoscaler, PodDisruptionBudget] {
  const { labels, selector } = labelsOf(s.name, s.component);
  const deployment = deploymentOf(v, s.name, s.component, s.values, { ...s.pod, containers: [s.container] }, s.podAnnotations);
  const service = new Service({
    metadata: { name: s.name, namespace: v.namespace, labels },
    spec: { type: 'ClusterIP', selector, ports: [{ name: 'http', port: s.values.port, targetPort: 'http', protocol: 'TCP' }] },
  });
  const hpa = new HorizontalPodAutoscaler({
    metadata: { name: s.name, namespace: v.namespace, labels },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: s.name },
      minReplicas: s.values.minReplicas,
      maxReplicas: s.values.maxReplicas,
      metrics: [
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: s.values.targetCpuPercent } } },
        {
          type: 'Pods',
          pods: { metric: { name: s.requestRate.metric }, target: { type: 'AverageValue', averageValue: String(s.requestRate.perPod) } },
        },
      ],
      behavior: structuredClone(SCALING_BEHAVIOR) as never,
    },
  });
  const pdb = new PodDisruptionBudget({
    metadata: { name: s.name, namespace: v.namespace, labels },
    spec: { minAvailable: s.values.minAvailable, selector: { matchLabels: selector } },
  });
  return [deployment, service, hpa, pdb];
}

/** Annotations for Prometheus's annotation-based pod discovery. */
export function scrapeAnnotations(port: number): Record<string, string> {
  return { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(port), 'prometheus.io/path': '/metrics' };
}
