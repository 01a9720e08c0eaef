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
  /** External metric: seconds the freshest value any feature server saw of a stream view is behind now. */
  streamLagSeconds: 'frec_stream_lag_seconds',
} as const;

const POD_RESOURCES = { overrides: { namespace: { resource: 'namespace' }, pod: { resource: 'pod' } } };

/** Routes that are not client traffic: the kubelet's probes and Prometheus's scrapes. */
export const NON_TRAFFIC_ROUTES = ['/health', '/ready', '/metrics'];

/**
 * The adapter rules. Request rates are 2-minute rates summed per pod. Lag is the stream views'
 * `frec_feature_view_freshness_seconds`: per view the minimum over feature-server pods (the
 * freshest value any of them read, as the gauge's own cluster aggregator does), then the worst
 * view, as one series: an External metric's series are summed by the HPA.
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
        seriesQuery: 'frec_feature_view_freshness_seconds{namespace!=""}',
        resources: { overrides: { namespace: { resource: 'namespace' } } },
        name: { matches: '^frec_feature_view_freshness_seconds$', as: ADAPTER_METRICS.streamLagSeconds },
        metricsQuery: 'max(min by (view) (<<.Series>>{<<.LabelMatchers>>}))',
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
