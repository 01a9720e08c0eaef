import type { IContainer, IEnvVar, IPodSpec, IVolume, IVolumeMount } from 'kubernetes-models/v1';
import type { DeployValues, ScaledValues } from './values.js';

/** Names the manifests share: the ConfigMap, Secrets and their keys that pods read. */
export const NAMES = {
  configMap: 'frec-feature-store',
  apiKeysSecret: 'frec-api-keys',
  /** Comma-separated keys the feature server accepts (its FREC_API_KEYS). */
  apiKeysKey: 'FREC_API_KEYS',
  /** One of those keys, for Prometheus's scrapes of the feature server's /metrics. */
  metricsKeyKey: 'metrics-key',
  redisSecret: 'frec-redis',
  /** URL of the (non-cluster) Redis that carries the event streams (FREC_STREAM_REDIS_URL). */
  streamUrlKey: 'stream-url',
  serviceAccount: 'frec',
} as const;

/** The labels every object carries, and the smaller set a workload's selector matches. */
export function labelsOf(name: string, component: string): { labels: Record<string, string>; selector: Record<string, string> } {
  const selector = { 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': 'frec' };
  return {
    selector,
    labels: {
      ...selector,
      'app.kubernetes.io/component': component,
      'app.kubernetes.io/part-of': 'frec',
      'app.kubernetes.io/version': '0.1.0',
    },
  };
}

/** Resource requests and limits; memory limit equals what the heap flag below assumes. */
export function resourcesOf(r: ScaledValues['resources']): NonNullable<IContainer['resources']> {
  return { requests: { cpu: r.cpu, memory: r.memory }, limits: { cpu: r.cpuLimit, memory: r.memoryLimit } };
}

/** Mebibytes in a Kubernetes memory quantity (Mi or Gi). */
export function mebibytes(quantity: string): number {
  const m = /^(\d+)(Mi|Gi)$/.exec(quantity);
  if (!m) throw new Error(`memory quantity '${quantity}' must be written in Mi or Gi`);
  return Number(m[1]) * (m[2] === 'Gi' ? 1024 : 1);
}

/**
 * V8's old space at 75% of the memory limit, so the process collects garbage before the kernel
 * kills it; the rest covers buffers, native addons (DuckDB, onnxruntime) and code.
 */
export function nodeOptionsFor(r: ScaledValues['resources']): string {
  return `--max-old-space-size=${Math.floor(mebibytes(r.memoryLimit) * 0.75)}`;
}

/** Environment common to every frec process in the image. */
export function baseEnv(r: ScaledValues['resources']): IEnvVar[] {
  return [
    { name: 'NODE_ENV', value: 'production' },
    { name: 'NODE_OPTIONS', value: nodeOptionsFor(r) },
    // The root filesystem is read-only: tsx's compile cache, npm's cache and logs go to /tmp.
    { name: 'HOME', value: '/tmp' },
    { name: 'NPM_CONFIG_CACHE', value: '/tmp/.npm' },
    { name: 'NPM_CONFIG_UPDATE_NOTIFIER', value: 'false' },
  ];
}

/** An environment variable read from a Secret that must exist (a pod does not start without it). */
export function fromSecret(name: string, secret: string, key: string): IEnvVar {
  return { name, valueFrom: { secretKeyRef: { name: secret, key, optional: false } } };
}

/** The broker URL every process that touches streams reads. */
export function streamUrlEnv(): IEnvVar {
  return fromSecret('FREC_STREAM_REDIS_URL', NAMES.redisSecret, NAMES.streamUrlKey);
}

/**
 * Volumes: feature_store.yaml from the ConfigMap over the image's copy, the shared data volume
 * at the repo's data/ (registry, offline Parquet, models, indexes), and a writable /tmp.
 */
export function repoVolumes(
  v: DeployValues,
  options: { dataReadOnly: boolean; tmpSize: string },
): { volumes: IVolume[]; mounts: IVolumeMount[] } {
  return {
    volumes: [
      { name: 'config', configMap: { name: NAMES.configMap } },
      { name: 'data', persistentVolumeClaim: { claimName: v.dataVolume.claimName, readOnly: options.dataReadOnly } },
      { name: 'tmp', emptyDir: { sizeLimit: options.tmpSize } },
    ],
    mounts: [
      { name: 'config', mountPath: `${v.repoPath}/feature_store.yaml`, subPath: 'feature_store.yaml', readOnly: true },
      { name: 'data', mountPath: `${v.repoPath}/data`, readOnly: options.dataReadOnly },
      { name: 'tmp', mountPath: '/tmp' },
    ],
  };
}

/** A container that runs as the image's unprivileged user on a read-only root filesystem. */
export function hardenedContainer(c: IContainer): IContainer {
  return {
    ...c,
    imagePullPolicy: c.imagePullPolicy ?? 'IfNotPresent',
    securityContext: {
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    },
  };
}

/** Pod-level settings: non-root with the image's UID, RuntimeDefault seccomp, no service-account token. */
export function hardenedPod(v: DeployValues, spec: IPodSpec): IPodSpec {
  return {
    serviceAccountName: NAMES.serviceAccount,
    automountServiceAccountToken: false,
    securityContext: {
      runAsNonRoot: true,
      runAsUser: v.runAsUser,
      runAsGroup: v.runAsUser,
      fsGroup: v.runAsUser,
      seccompProfile: { type: 'RuntimeDefault' },
    },
    ...spec,
  };
}

/** Spread replicas across zones and nodes, so one failure takes a minority of them. */
export function spreadOf(selector: Record<string, string>): NonNullable<IPodSpec['topologySpreadConstraints']> {
  return ['topology.kubernetes.io/zone', 'kubernetes.io/hostname'].map((topologyKey) => ({
    maxSkew: 1,
    topologyKey,
    whenUnsatisfiable: 'ScheduleAnyway',
    labelSelector: { matchLabels: selector },
  }));
}

/** The CLI inside the image: `node packages/cli/bin/frec.js --chdir <repo> ...`. */
export function frecCommand(v: DeployValues, ...args: string[]): string[] {
  return ['node', 'packages/cli/bin/frec.js', '--chdir', v.repoPath, ...args];
}
