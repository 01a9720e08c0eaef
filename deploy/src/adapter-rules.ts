import { ConfigMap } from 'kubernetes-models/v1';
import { stringify } from 'yaml';
import type { DeployValues } from './values.js';

/** One prometheus-adapter discovery rule (its config.md: seriesQuery, resources, name, metricsQuery). */
export interface AdapterRule {
  seriesQuery: string;
  resources: { overrides: Record<string, { resource: string }> };
  name: { matches: string; as: string };
  /** A Go template over <<.Series>>, <<.LabelMatchers>> and <<.GroupBy>>. */
  metricsQuery: string;
}

/** prometheus-adapter's config file: custom (per-object) and external metrics. */
export interface AdapterConfig {
  rules: AdapterRule[];
  externalRules: AdapterRule[];
}

/** The metric names the autoscalers ask the adapter for. */
export const ADAPTER_METRICS = {
  /** Pods metric: the feature server's requests per second per pod, probes and scrapes left out. */
  featureServerRequestRate: 'frec_http_requests_per_second',
  /** Pods metric: recommendations answered per second per pod. */
  recommenderRequestRate: 'frec_recommend_responses_per_second',
  /** External metric: the stream workers' consumer lag in seconds, worst view, 0 when every view is caught up. */
  streamLagSeconds: 'frec_stream_lag_seconds',
} as const;

/** The stream worker's own lag metrics (packages/cli/src/commands/stream-metrics.ts) the lag rules read. */
export const WORKER_METRICS = { lagSeconds: 'frec_stream_lag_seconds', lagMessages: 'frec_stream_lag_messages' } as const;

/**
 * Consumer lag in seconds per view, from the workers' own gauges, for the views that have events
 * not yet acknowledged. Each worker reports the partitions it owns (every worker of an unpartitioned
 * view reports the same partition 0), so per view: the worst worker's age of its oldest unprocessed
 * event, kept only where the backlog (per partition the largest report, summed) is not empty. A
 * caught-up worker's gauge holds the age of the newest event it applied instead, which is freshness,
 * not lag: a quiet stream must neither page nor add workers.
 */
export function streamLagByView(matchers: string): string {
  const backlog = `sum by (view) (max by (view, partition) (${WORKER_METRICS.lagMessages}{${matchers}}))`;
  return `(max by (view) (${WORKER_METRICS.lagSeconds}{${matchers}}) and on (view) (${backlog} > 0))`;
}

const POD_RESOURCES = { overrides: { namespace: { resource: 'namespace' }, pod: { resource: 'pod' } } };

/** Routes that are not client traffic: the kubelet's probes and Prometheus's scrapes. */
export const NON_TRAFFIC_ROUTES = ['/health', '/ready', '/metrics'];

/**
 * The adapter rules. Request rates are 2-minute rates summed per pod. Lag is the stream workers'
 * consumer lag in seconds (streamLagByView), the worst view, as one series (an External metric's
 * series are summed by the HPA), and 0 when no view has a backlog so the autoscaler scales down.
 */
export function adapterConfig(): AdapterConfig {
  return {
    rules: [
      {
        seriesQuery: 'frec_http_requests_total{namespace!="",pod!=""}',
        resources: POD_RESOURCES,
        name: { matches: '^frec_http_requests_total$', as: ADAPTER_METRICS.featureServerRequestRate },
        metricsQuery: `sum(rate(<<.Series>>{<<.LabelMatchers>>,route!~"${NON_TRAFFIC_ROUTES.join('|')}"}[2m])) by (<<.GroupBy>>)`,
      },
      {
        seriesQuery: 'frec_recommend_responses_total{namespace!="",pod!=""}',
        resources: POD_RESOURCES,
        name: { matches: '^frec_recommend_responses_total$', as: ADAPTER_METRICS.recommenderRequestRate },
        metricsQuery: 'sum(rate(<<.Series>>{<<.LabelMatchers>>}[2m])) by (<<.GroupBy>>)',
      },
    ],
    externalRules: [
      {
        seriesQuery: `${WORKER_METRICS.lagSeconds}{namespace!=""}`,
        resources: { overrides: { namespace: { resource: 'namespace' } } },
        name: { matches: `^${WORKER_METRICS.lagSeconds}$`, as: ADAPTER_METRICS.streamLagSeconds },
        metricsQuery: `max(${streamLagByView('<<.LabelMatchers>>')}) or vector(0)`,
      },
    ],
  };
}

/** Expands an adapter metricsQuery the way the adapter does for one request. */
export function expandAdapterQuery(query: string, at: { series: string; labelMatchers: string; groupBy: string }): string {
  return query
    .replaceAll('<<.Series>>', at.series)
    .replaceAll('<<.LabelMatchers>>', at.labelMatchers)
    .replaceAll('<<.GroupBy>>', at.groupBy);
}

/** The adapter's config as a ConfigMap in the monitoring namespace, to mount as its `--config`. */
export function adapterConfigMap(v: DeployValues): ConfigMap {
  return new ConfigMap({
    metadata: {
      name: 'frec-prometheus-adapter-rules',
      namespace: v.monitoringNamespace,
      labels: { 'app.kubernetes.io/part-of': 'frec', 'app.kubernetes.io/component': 'autoscaling-metrics' },
    },
    data: { 'config.yaml': stringify(adapterConfig(), { aliasDuplicateObjects: false, lineWidth: 0 }) },
  });
}
