import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parser } from '@prometheus-io/lezer-promql';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { RecommendMetrics } from '../../examples/streamrec/src/recommender/recommend-metrics.js';
import { ServerMetrics } from '@frec/feature-server';
import { streamMetrics } from '../../packages/cli/src/commands/stream-metrics.js';
import { ADAPTER_METRICS, NON_TRAFFIC_ROUTES, adapterConfig, expandAdapterQuery } from '../src/adapter-rules.js';
import { alertGroups } from '../src/monitoring.js';
import { productionValues } from '../src/values.js';
import { checkedInDocs, ofKind } from './helpers.js';

const rule = ofKind(checkedInDocs(), 'PrometheusRule')[0];
const groups: Array<{ name: string; rules: any[] }> = rule.spec.groups;
const alerts = groups.flatMap((g) => g.rules);

/** Metrics the code exports today, by exposition name, with their label names. */
function exportedMetrics(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  // The stream worker's gauges read the broker only when collected; listing them needs none.
  const worker = streamMetrics('p', [], { ownedPartitions: () => [] }, undefined as never).registry;
  const registries = [new ServerMetrics({ registryAgeSeconds: () => 0 }).registry, new RecommendMetrics(new Registry()).registry, worker];
  for (const reg of registries) {
    for (const m of reg.getMetricsAsArray()) {
      const { name, labelNames = [] } = m as unknown as { name: string; labelNames?: string[] };
      const type = (m as unknown as { type?: string }).type ?? '';
      const names = type === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name];
      for (const n of names) out.set(n, type === 'histogram' && n.endsWith('_bucket') ? [...labelNames, 'le'] : labelNames);
    }
  }
  return out;
}

/** Metrics the alerts may use that no frec code exports today, and who provides them. */
const NOT_FROM_FREC_CODE: Record<string, { labels: string[]; by: string }> = {
  kube_job_status_failed: { labels: ['job_name'], by: 'kube-state-metrics' },
};

/** Labels Prometheus adds to every scraped series. */
const TARGET_LABELS = ['namespace', 'pod', 'job', 'instance', 'container'];

/** The vector selectors of a PromQL expression: metric name and the label names it matches on; throws on a syntax error. */
function selectorsOf(expr: string): Array<{ metric: string; labels: string[] }> {
  const out: Array<{ metric: string; labels: string[] }> = [];
  parser.parse(expr).iterate({
    enter: (n) => {
      if (n.type.isError) throw new Error(`PromQL syntax error at ${n.from} in: ${expr}`);
      if (n.name !== 'VectorSelector') return;
      const metric = n.node.getChild('Identifier');
      const matchers = n.node.getChild('LabelMatchers');
      const labels = (matchers?.getChildren('UnquotedLabelMatcher') ?? []).map((m) => expr.slice(m.firstChild!.from, m.firstChild!.to));
      out.push({ metric: metric ? expr.slice(metric.from, metric.to) : '', labels });
    },
  });
  return out;
}

const hasPromtool = spawnSync('promtool', ['--version']).status === 0;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'frec-alerts-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs promtool with the given files written under a temp folder. */
function promtool(args: string[], files: Record<string, unknown>): { status: number | null; output: string } {
  for (const [f, body] of Object.entries(files)) writeFileSync(path.join(tmp, f), typeof body === 'string' ? body : stringify(body));
  const r = spawnSync('promtool', args, { cwd: tmp, encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

describe('alert rules', () => {
  it('the checked-in PrometheusRule holds exactly the alert groups the code defines, including the four the deployment needs', () => {
    expect(groups).toEqual(alertGroups(productionValues));
    const names = alerts.map((a) => a.alert);
    for (const a of [
      'FrecFeatureServerLatencyBudget',
      'FrecStreamLag',
      'FrecStreamLagCritical',
      'StreamRecModelStale',
      'FrecFeatureServerErrorRate',
    ])
      expect(names).toContain(a);
    expect(alerts.find((a) => a.alert === 'FrecStreamLag').labels.severity).toBe('warning');
    expect(alerts.find((a) => a.alert === 'FrecStreamLagCritical').labels.severity).toBe('page');
  });

  it('every expression parses (lezer-promql) and names only metrics and labels the code exports', () => {
    const exported = exportedMetrics();
    expect(exported.get('frec_http_request_duration_seconds_bucket')).toEqual(['route', 'method', 'status', 'le']);
    const used = new Set<string>();
    for (const a of alerts) {
      const selectors = selectorsOf(a.expr);
      expect(selectors.length, a.alert).toBeGreaterThan(0);
      for (const s of selectors) {
        used.add(s.metric);
        const labels = exported.get(s.metric) ?? NOT_FROM_FREC_CODE[s.metric]?.labels;
        expect(labels, `${a.alert}: metric ${s.metric} is not exported by frec's code`).toBeDefined();
        for (const l of s.labels) expect([...labels!, ...TARGET_LABELS], `${a.alert}: ${s.metric} has no label '${l}'`).toContain(l);
      }
      // by (...) labels must be labels of the series the aggregation reads.
      for (const m of a.expr.matchAll(/by \(([a-z_]+)\) \(((?:frec|kube)_[a-z_]+)\{/g))
        expect(exported.get(m[2]!) ?? NOT_FROM_FREC_CODE[m[2]!]?.labels).toContain(m[1]);
    }
    expect(used).toContain('frec_stream_lag_seconds');
    expect(used).toContain('frec_stream_lag_messages');
    expect(used, 'lag comes from the workers, not from what the feature servers read').not.toContain('frec_feature_view_freshness_seconds');
    expect(used).toContain('frec_http_requests_total');
    expect(alerts.filter((a) => /by \(\w+\) \((frec|kube)_/.test(a.expr)).length).toBeGreaterThanOrEqual(4);
    expect(() => selectorsOf('sum(rate(frec_http_requests_total[5m])')).toThrow(/syntax error/);
  });

  it('the latency budget is the recommender features-stage budget the code sets', async () => {
    const { DEFAULT_STAGE_BUDGETS } = await import('@frec/model-serving/resilience');
    expect(alerts.find((a) => a.alert === 'FrecFeatureServerLatencyBudget').expr).toMatch(
      new RegExp(`> ${DEFAULT_STAGE_BUDGETS.features / 1000}$`),
    );
  });

  it.skipIf(!hasPromtool)('promtool accepts the rule file (expressions and annotation templates)', () => {
    const r = promtool(['check', 'rules', 'rules.yaml'], { 'rules.yaml': { groups } });
    expect(r.output).toContain(`SUCCESS: ${alerts.length} rules found`);
    expect(r.status).toBe(0);
    const bad = promtool(['check', 'rules', 'bad.yaml'], {
      'bad.yaml': { groups: [{ name: 'g', rules: [{ alert: 'A', expr: 'sum(' }] }] },
    });
    expect(bad.status).not.toBe(0);
  });

  it.skipIf(!hasPromtool)(
    'Prometheus fires the lag alerts at 10 and 30 minutes per view from the workers, only on a backlog, and the workers-down alert when none is scraped',
    () => {
      const at = (pod: string, view: string) => `namespace="frec",pod="${pod}",view="${view}"`;
      const seconds = (pod: string, view: string, values: string) => ({ series: `frec_stream_lag_seconds{${at(pod, view)}}`, values });
      const messages = (pod: string, view: string, partition: number, values: string) => ({
        series: `frec_stream_lag_messages{${at(pod, view)},partition="${partition}"}`,
        values,
      });
      const tests = [
        {
          interval: '1m',
          input_series: [
            // user_recent (3 partitions over 2 workers): the worker owning partition 2 is 700 s behind -> warn only.
            seconds('w-a', 'user_recent', '60x20'),
            messages('w-a', 'user_recent', 0, '10x20'),
            messages('w-a', 'user_recent', 1, '0x20'),
            seconds('w-b', 'user_recent', '700x20'),
            messages('w-b', 'user_recent', 2, '5000x20'),
            // item_live (unpartitioned, both workers report partition 0): 2,000 s behind -> warn and page.
            seconds('w-a', 'item_live', '2000x20'),
            seconds('w-b', 'item_live', '2000x20'),
            messages('w-a', 'item_live', 0, '90000x20'),
            messages('w-b', 'item_live', 0, '90000x20'),
            // quiet: caught up, its newest event an hour old: freshness, not lag -> never.
            seconds('w-a', 'quiet', '3600x20'),
            messages('w-a', 'quiet', 0, '0x20'),
          ],
          alert_rule_test: [
            { eval_time: '3m', alertname: 'FrecStreamLag', exp_alerts: [] },
            {
              eval_time: '10m',
              alertname: 'FrecStreamLag',
              exp_alerts: [
                { exp_labels: { severity: 'warning', view: 'item_live' } },
                { exp_labels: { severity: 'warning', view: 'user_recent' } },
              ],
            },
            { eval_time: '10m', alertname: 'FrecStreamLagCritical', exp_alerts: [{ exp_labels: { severity: 'page', view: 'item_live' } }] },
            { eval_time: '15m', alertname: 'FrecStreamWorkersDown', exp_alerts: [] },
          ],
        },
        {
          interval: '1m',
          input_series: [{ series: 'frec_http_requests_total{namespace="frec",pod="fs-a",route="/push",status="200"}', values: '0+1x20' }],
          alert_rule_test: [
            { eval_time: '5m', alertname: 'FrecStreamWorkersDown', exp_alerts: [] },
            { eval_time: '15m', alertname: 'FrecStreamWorkersDown', exp_alerts: [{ exp_labels: { severity: 'page', namespace: 'frec' } }] },
          ],
        },
      ];
      expectPromtoolTests(tests);
    },
  );

  it.skipIf(!hasPromtool)(
    'Prometheus fires the error-rate, latency-budget and model-age alerts on series over their thresholds only',
    () => {
      const ns = 'namespace="frec",pod="fs-a"';
      const bucket = (le: string, perMin: number) => ({
        series: `frec_http_request_duration_seconds_bucket{${ns},route="/get-online-features",method="POST",status="200",le="${le}"}`,
        values: `0+${perMin}x30`,
      });
      const tests = [
        {
          interval: '1m',
          input_series: [
            // 2% of requests fail: over 1%.
            { series: `frec_http_requests_total{${ns},route="/get-online-features",status="200"}`, values: '0+980x30' },
            { series: `frec_http_requests_total{${ns},route="/get-online-features",status="503"}`, values: '0+20x30' },
            // 5% of requests slower than 100 ms: p99 lands between 0.1 and 0.25 s, over the 50 ms budget.
            bucket('0.05', 950),
            bucket('0.1', 950),
            bucket('0.25', 1000),
            bucket('+Inf', 1000),
            { series: `frec_model_age_seconds{${ns},model="ranker"}`, values: '300000x30' },
            { series: `frec_model_age_seconds{${ns},model="two_tower"}`, values: '3600x30' },
          ],
          alert_rule_test: [
            { eval_time: '20m', alertname: 'FrecFeatureServerErrorRate', exp_alerts: [{ exp_labels: { severity: 'page' } }] },
            { eval_time: '20m', alertname: 'FrecFeatureServerLatencyBudget', exp_alerts: [{ exp_labels: { severity: 'warning' } }] },
            { eval_time: '20m', alertname: 'StreamRecModelStale', exp_alerts: [{ exp_labels: { severity: 'warning', model: 'ranker' } }] },
          ],
        },
        {
          interval: '1m',
          input_series: [
            { series: `frec_http_requests_total{${ns},route="/get-online-features",status="200"}`, values: '0+1000x30' },
            { series: `frec_http_requests_total{${ns},route="/get-online-features",status="503"}`, values: '0+5x30' },
            bucket('0.05', 1000),
            bucket('+Inf', 1000),
          ],
          alert_rule_test: [
            { eval_time: '20m', alertname: 'FrecFeatureServerErrorRate', exp_alerts: [] },
            { eval_time: '20m', alertname: 'FrecFeatureServerLatencyBudget', exp_alerts: [] },
          ],
        },
      ];
      expectPromtoolTests(tests);
    },
  );
});

/** Runs promtool's rule unit tests against the checked-in rules (annotations left out: their text is checked by `check rules`). */
function expectPromtoolTests(tests: unknown[]): void {
  const bare = { groups: groups.map((g) => ({ name: g.name, rules: g.rules.map(({ annotations: _a, ...r }) => r) })) };
  const r = promtool(['test', 'rules', 'tests.yaml'], {
    'bare-rules.yaml': bare,
    'tests.yaml': { rule_files: ['bare-rules.yaml'], evaluation_interval: '1m', tests },
  });
  expect(r.output).toContain('SUCCESS');
  expect(r.status, r.output).toBe(0);
}

describe('prometheus-adapter rules', () => {
  const config = adapterConfig();

  it('serve the metric names the autoscalers ask for, from series the code exports', () => {
    const exported = exportedMetrics();
    const served = [...config.rules, ...config.externalRules].map((r) => r.name.as).sort();
    expect(served).toEqual(Object.values(ADAPTER_METRICS).sort());
    for (const r of [...config.rules, ...config.externalRules]) {
      const source = /^\^(\w+)\$$/.exec(r.name.matches)![1]!;
      expect(exported.has(source), source).toBe(true);
      expect(r.seriesQuery.startsWith(`${source}{`)).toBe(true);
    }
  });

  it.skipIf(!hasPromtool)(
    'expanded as the adapter does, the queries give requests/s per pod without probes, and one lag series for the HPA: the worst backlog, 0 when caught up',
    () => {
      const q = (as: string) => [...config.rules, ...config.externalRules].find((r) => r.name.as === as)!.metricsQuery;
      const fsRate = expandAdapterQuery(q(ADAPTER_METRICS.featureServerRequestRate), {
        series: 'frec_http_requests_total',
        labelMatchers: 'namespace="frec",pod=~"fs-a|fs-b"',
        groupBy: 'pod',
      });
      const lag = (ns: string) =>
        expandAdapterQuery(q(ADAPTER_METRICS.streamLagSeconds), {
          series: 'frec_stream_lag_seconds',
          labelMatchers: `namespace="${ns}"`,
          groupBy: '',
        });
      expect(() => selectorsOf(fsRate)).not.toThrow();
      expect(() => selectorsOf(lag('frec'))).not.toThrow();
      const req = (pod: string, route: string, perMin: number) => ({
        series: `frec_http_requests_total{namespace="frec",pod="${pod}",route="${route}",status="200"}`,
        values: `0+${perMin}x10`,
      });
      const worker = (ns: string, pod: string, view: string, seconds: number, backlog: number) => [
        { series: `frec_stream_lag_seconds{namespace="${ns}",pod="${pod}",view="${view}"}`, values: `${seconds}x10` },
        { series: `frec_stream_lag_messages{namespace="${ns}",pod="${pod}",view="${view}",partition="0"}`, values: `${backlog}x10` },
      ];
      const tests = [
        {
          interval: '1m',
          input_series: [
            // 10 req/s of traffic per pod, plus probes and scrapes that must not count.
            req('fs-a', '/get-online-features', 540),
            req('fs-a', '/push', 60),
            ...NON_TRAFFIC_ROUTES.map((r) => req('fs-a', r, 600)),
            req('fs-b', '/get-online-features', 600),
            req('fs-c', '/get-online-features', 6000),
            // frec: user_recent 90 s behind on one worker, 400 s on the other; item_live 240 s; quiet caught up (newest event 5,000 s old).
            ...worker('frec', 'w-a', 'user_recent', 90, 50),
            ...worker('frec', 'w-b', 'user_recent', 400, 50),
            ...worker('frec', 'w-a', 'item_live', 240, 7),
            ...worker('frec', 'w-a', 'quiet', 5000, 0),
            // idle: every view caught up.
            ...worker('idle', 'w-a', 'quiet', 5000, 0),
          ],
          promql_expr_test: [
            {
              expr: fsRate,
              eval_time: '8m',
              exp_samples: [
                { labels: '{pod="fs-a"}', value: 10 },
                { labels: '{pod="fs-b"}', value: 10 },
              ],
            },
            // the worst worker per view, then the worst view with a backlog: max(400, 240); the quiet view does not count.
            { expr: lag('frec'), eval_time: '8m', exp_samples: [{ labels: '{}', value: 400 }] },
            { expr: lag('idle'), eval_time: '8m', exp_samples: [{ labels: '{}', value: 0 }] },
          ],
        },
      ];
      const r = promtool(['test', 'rules', 'adapter-tests.yaml'], {
        'empty-rules.yaml': { groups: [] },
        'adapter-tests.yaml': { rule_files: ['empty-rules.yaml'], evaluation_interval: '1m', tests },
      });
      expect(r.status, r.output).toBe(0);
    },
  );
});
