import { DEFAULT_STAGE_BUDGETS } from '@frec/model-serving/resilience';

/** The knobs of a rendered deployment; `productionValues` sizes it for the seed's 10,000 req/s peak. */
export interface DeployValues {
  namespace: string;
  /** Where Prometheus, prometheus-adapter and the operator run. */
  monitoringNamespace: string;
  /** Image built from the repo's Dockerfile; pin a tag or digest, never `latest`. */
  image: string;
  /** UID and GID the image's `frec` user has (the Dockerfile creates 10001). */
  runAsUser: number;
  /** Where the image holds the feature repo; its `data/` folder is the shared volume. */
  repoPath: string;
  /** The shared ReadWriteMany volume holding the registry, offline Parquet, models and ANN indexes. */
  dataVolume: { claimName: string; storageClassName: string; size: string };
  featureServer: ServiceValues & { storeTimeoutMs: number; requestsPerSecondPerPod: number };
  recommender: ServiceValues & { requestsPerSecondPerPod: number };
  streamWorker: ScaledValues & {
    /** Stream views this worker group consumes (empty: every stream view). */
    views: string[];
    /** Consumer lag, in seconds (age of the oldest unprocessed event), the lag autoscaler holds the views at. */
    targetLagSeconds: number;
    /** Port of the worker's own HTTP server (`frec stream --metrics-port`): /metrics, /health, /ready. */
    metricsPort: number;
  };
  materialization: CronValues;
  training: CronValues;
  /** The Redis Cluster the online store uses (external; see deploy/README.md) and the broker's Redis. */
  redis: {
    /** Seed nodes of the Redis Cluster online store, `host:port` comma-separated. */
    clusterNodes: string;
    keyPrefix: string;
    connectTimeoutMs: number;
    commandTimeoutMs: number;
  };
  alerts: AlertValues;
}

/** Replica bounds and per-pod resources of a scaled workload. */
export interface ScaledValues {
  minReplicas: number;
  maxReplicas: number;
  resources: { cpu: string; memory: string; cpuLimit: string; memoryLimit: string };
}

/** A workload behind a Service, scaled on CPU and request rate. */
export interface ServiceValues extends ScaledValues {
  port: number;
  /** Average CPU utilisation, in percent of the request, that the autoscaler holds. */
  targetCpuPercent: number;
  /** Pods that must stay up during voluntary disruptions (node drains), as a share. */
  minAvailable: string;
}

/** A daily batch job. */
export interface CronValues {
  schedule: string;
  timeZone: string;
  /** How late a missed run may still start, in seconds. */
  startingDeadlineSeconds: number;
  backoffLimit: number;
  activeDeadlineSeconds: number;
  resources: ScaledValues['resources'];
}

/** Alert thresholds. */
export interface AlertValues {
  /** p99 of /get-online-features the feature server must stay under, in seconds. */
  featureServerP99Seconds: number;
  /** p95 of a whole recommendation the recommender must stay under, in seconds. */
  recommenderP95Seconds: number;
  lagWarningSeconds: number;
  lagPageSeconds: number;
  modelAgeSeconds: number;
  /** Share of 5xx responses that alerts. */
  errorRatio: number;
  /** Share of degraded (not FULL) recommendations that alerts. */
  degradedRatio: number;
}

/**
 * Production defaults. Per-pod rates are from this repo's benchmarks (ADR 0041: ~600-990 req/s
 * per feature-server process on a small shape; ADR 0070: ~540 recommendations/s per event loop
 * at p95 < 50 ms) with headroom, so the request-rate autoscaler adds pods before latency moves.
 * The feature server's budget is the recommender's features-stage budget (50 ms, ADR 0070).
 */
export const productionValues: DeployValues = {
  namespace: 'frec',
  monitoringNamespace: 'monitoring',
  image: 'registry.example.com/frec/frec:0.1.0',
  runAsUser: 10001,
  repoPath: '/app/examples/streamrec/feature_repo',
  dataVolume: { claimName: 'frec-data', storageClassName: 'shared-rwx', size: '200Gi' },
  featureServer: {
    port: 6566,
    minReplicas: 3,
    maxReplicas: 30,
    targetCpuPercent: 60,
    requestsPerSecondPerPod: 400,
    minAvailable: '66%',
    storeTimeoutMs: 40,
    resources: { cpu: '1', memory: '384Mi', cpuLimit: '2', memoryLimit: '768Mi' },
  },
  recommender: {
    port: 8080,
    minReplicas: 3,
    maxReplicas: 40,
    targetCpuPercent: 60,
    requestsPerSecondPerPod: 300,
    minAvailable: '66%',
    resources: { cpu: '1', memory: '1536Mi', cpuLimit: '2', memoryLimit: '3Gi' },
  },
  streamWorker: {
    views: [],
    minReplicas: 2,
    maxReplicas: 8,
    targetLagSeconds: 60,
    metricsPort: 9464,
    resources: { cpu: '500m', memory: '512Mi', cpuLimit: '1', memoryLimit: '1Gi' },
  },
  materialization: {
    schedule: '30 0 * * *',
    timeZone: 'Etc/UTC',
    startingDeadlineSeconds: 3600,
    backoffLimit: 3,
    activeDeadlineSeconds: 3 * 3600,
    resources: { cpu: '2', memory: '4Gi', cpuLimit: '4', memoryLimit: '8Gi' },
  },
  training: {
    schedule: '0 2 * * *',
    timeZone: 'Etc/UTC',
    startingDeadlineSeconds: 4 * 3600,
    backoffLimit: 2,
    activeDeadlineSeconds: 8 * 3600,
    resources: { cpu: '4', memory: '8Gi', cpuLimit: '8', memoryLimit: '16Gi' },
  },
  redis: {
    clusterNodes:
      'redis-cluster-0.redis-cluster.redis.svc:6379,redis-cluster-1.redis-cluster.redis.svc:6379,redis-cluster-2.redis-cluster.redis.svc:6379',
    keyPrefix: 'streamrec:',
    connectTimeoutMs: 1000,
    commandTimeoutMs: 200,
  },
  alerts: {
    featureServerP99Seconds: DEFAULT_STAGE_BUDGETS.features / 1000,
    recommenderP95Seconds: 0.2,
    lagWarningSeconds: 10 * 60,
    lagPageSeconds: 30 * 60,
    modelAgeSeconds: 72 * 3600,
    errorRatio: 0.01,
    degradedRatio: 0.05,
  },
};
