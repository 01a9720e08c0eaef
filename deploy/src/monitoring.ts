import { PodMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { WORKER_METRICS, streamLagByView } from './adapter-rules.js';
import { MATERIALIZATION, TRAINING } from './cron-jobs.js';
import { FEATURE_SERVER } from './feature-server.js';
import { NAMES, labelsOf } from './pod-spec.js';
import { RECOMMENDER } from './recommender.js';
import { STREAM_WORKER } from './stream-worker.js';
import type { DeployValues } from './values.js';

/** One alerting rule as Prometheus's rule files write it. */
export interface AlertRule {
  alert: string;
  expr: string;
  for: string;
  labels: { severity: 'warning' | 'page' };
  annotations: { summary: string; description: string };
}

/** Name of the PrometheusRule object. */
export const PROMETHEUS_RULE = 'frec-alerts';

/** Seconds as a PromQL-friendly number (no exponent). */
const n = (x: number): string => String(Number(x.toFixed(6)));

/**
 * The alert groups. Lag is the stream workers' own consumer lag (age of the oldest event not yet
 * acknowledged, per view, where a backlog exists: streamLagByView), the signal the autoscaler reads.
 */
export function alertGroups(v: DeployValues): Array<{ name: string; rules: AlertRule[] }> {
  const a = v.alerts;
  const ns = `namespace="${v.namespace}"`;
  const lag = streamLagByView(ns);
  return [
    {
      name: 'frec-feature-server',
      rules: [
        {
          alert: 'FrecFeatureServerLatencyBudget',
          expr: `histogram_quantile(0.99, sum by (le) (rate(frec_http_request_duration_seconds_bucket{${ns},route="/get-online-features"}[5m]))) > ${n(a.featureServerP99Seconds)}`,
          for: '10m',
          labels: { severity: 'warning' },
          annotations: {
            summary: 'Feature server p99 over its latency budget',
            description: `p99 of /get-online-features is {{ $value | humanizeDuration }}, over the ${n(a.featureServerP99Seconds * 1000)} ms budget the recommender gives its features stage.`,
          },
        },
        {
          alert: 'FrecFeatureServerErrorRate',
          expr: `sum(rate(frec_http_requests_total{${ns},status=~"5.."}[5m])) / sum(rate(frec_http_requests_total{${ns}}[5m])) > ${n(a.errorRatio)}`,
          for: '5m',
          labels: { severity: 'page' },
          annotations: {
            summary: 'Feature server answers 5xx',
            description:
              '{{ $value | humanizePercentage }} of feature-server requests failed with 5xx over 5 minutes; see frec_http_errors_total by code.',
          },
        },
      ],
    },
    {
      name: 'streamrec-recommender',
      rules: [
        {
          alert: 'StreamRecLatencyBudget',
          expr: `histogram_quantile(0.95, sum by (le) (rate(frec_recommend_stage_seconds_bucket{${ns},stage="total"}[5m]))) > ${n(a.recommenderP95Seconds)}`,
          for: '10m',
          labels: { severity: 'warning' },
          annotations: {
            summary: 'Recommendation p95 over budget',
            description:
              'p95 of a whole recommendation is {{ $value | humanizeDuration }}; frec_recommend_stage_seconds by stage shows which stage.',
          },
        },
        {
          alert: 'StreamRecDegradedResponses',
          expr: `sum(rate(frec_recommend_responses_total{${ns},level!="FULL"}[5m])) / sum(rate(frec_recommend_responses_total{${ns}}[5m])) > ${n(a.degradedRatio)}`,
          for: '10m',
          labels: { severity: 'warning' },
          annotations: {
            summary: 'Recommendations are degrading',
            description:
              '{{ $value | humanizePercentage }} of recommendations fell back below FULL; frec_recommend_stage_failures_total says which stage and why.',
          },
        },
      ],
    },
    {
      name: 'frec-streaming',
      rules: [
        {
          alert: 'FrecStreamLag',
          expr: `${lag} > ${a.lagWarningSeconds}`,
          for: '5m',
          labels: { severity: 'warning' },
          annotations: {
            summary: 'Stream view behind by more than 10 minutes',
            description:
              "The oldest unprocessed event of stream view {{ $labels.view }} is {{ $value | humanizeDuration }} old; check the stream workers' logs, replicas and frec_stream_lag_messages by partition.",
          },
        },
        {
          alert: 'FrecStreamLagCritical',
          expr: `${lag} > ${a.lagPageSeconds}`,
          for: '5m',
          labels: { severity: 'page' },
          annotations: {
            summary: 'Stream view behind by more than 30 minutes',
            description: 'The oldest unprocessed event of stream view {{ $labels.view }} is {{ $value | humanizeDuration }} old.',
          },
        },
        {
          // With no worker scraped there is no lag series at all, so the two alerts above cannot fire.
          alert: 'FrecStreamWorkersDown',
          expr: `absent(${WORKER_METRICS.lagMessages}{${ns}})`,
          for: '10m',
          labels: { severity: 'page' },
          annotations: {
            summary: 'No stream worker reports its lag',
            description: `No ${STREAM_WORKER} pod has been scraped for 10 minutes: stream views are not being updated.`,
          },
        },
      ],
    },
    {
      name: 'frec-batch',
      rules: [
        {
          alert: 'StreamRecModelStale',
          expr: `max by (model) (frec_model_age_seconds{${ns}}) > ${a.modelAgeSeconds}`,
          for: '15m',
          labels: { severity: 'warning' },
          annotations: {
            summary: 'Production model older than 72 hours',
            description:
              'Model {{ $labels.model }} was trained {{ $value | humanizeDuration }} ago: the daily training job has not promoted a new one.',
          },
        },
        {
          alert: 'FrecDailyJobFailed',
          expr: `max by (job_name) (kube_job_status_failed{${ns},job_name=~"${MATERIALIZATION}-.*|${TRAINING}-.*"}) > 0`,
          for: '0m',
          labels: { severity: 'warning' },
          annotations: {
            summary: 'A daily job failed',
            description: 'Job {{ $labels.job_name }} failed after its retries; `kubectl -n frec logs job/{{ $labels.job_name }}`.',
          },
        },
      ],
    },
  ];
}

/** The PrometheusRule the Prometheus operator loads. */
export function prometheusRule(v: DeployValues): PrometheusRule {
  return new PrometheusRule({
    metadata: {
      name: PROMETHEUS_RULE,
      namespace: v.namespace,
      labels: { 'app.kubernetes.io/part-of': 'frec', 'app.kubernetes.io/component': 'alerts' },
    },
    spec: { groups: alertGroups(v).map((g) => ({ name: g.name, rules: g.rules.map((r) => ({ ...r })) })) },
  });
}

/**
 * PodMonitors for operator-managed Prometheus (the annotations serve annotation-based scraping).
 * The feature server's /metrics needs an API key like every route but /health and /ready.
 */
export function podMonitors(v: DeployValues): PodMonitor[] {
  const of = (name: string, component: string, auth: boolean) =>
    new PodMonitor({
      metadata: { name, namespace: v.namespace, labels: labelsOf(name, component).labels },
      spec: {
        selector: { matchLabels: labelsOf(name, component).selector },
        podMetricsEndpoints: [
          {
            port: component === 'stream-worker' ? 'metrics' : 'http',
            path: '/metrics',
            interval: '15s',
            ...(auth ? { authorization: { type: 'Bearer', credentials: { name: NAMES.apiKeysSecret, key: NAMES.metricsKeyKey } } } : {}),
          },
        ],
      },
    });
  return [of(FEATURE_SERVER, 'feature-server', true), of(RECOMMENDER, 'recommender', false), of(STREAM_WORKER, 'stream-worker', false)];
}
