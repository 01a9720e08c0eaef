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
  const registries = [new ServerMetrics({ registryAgeSeconds: () => 0 }).registry, new RecommendMetrics(new Registry()).registry];
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
  // Being built in parallel with this deployment: the daily job's model-age gauge, name and label as agreed.
  frec_model_age_seconds: { labels: ['model'], by: 'the daily training job (being built)' },
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
    expect(used).toContain('frec_feature_view_freshness_seconds');
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
    'Prometheus fires the lag alerts at 10 and 30 minutes per view, on the freshest pod, and not before `for`',
    () => {
      const series = (pod: string, view: string, values: string) => ({
        series: `frec_feature_view_freshness_seconds{namespace="frec",pod="${pod}",view="${view}"}`,
        values,
      });
      const tests = [
        {
          interval: '1m',
          input_series: [
            // user_recent: 700 s on one pod, 2,000 s on a pod that read it long ago -> 700 s: warn only.
            series('fs-a', 'user_recent', '700x20'),
            series('fs-b', 'user_recent', '2000x20'),
            // item_live: 2,000 s everywhere -> warn and page.
            series('fs-a', 'item_live', '2000x20'),
            // fresh: never.
            series('fs-a', 'fresh', '30x20'),
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
    'expanded as the adapter does, the queries give requests/s per pod without probes and one lag series for the HPA',
    () => {
      const q = (as: string) => [...config.rules, ...config.externalRules].find((r) => r.name.as === as)!.metricsQuery;
      const fsRate = expandAdapterQuery(q(ADAPTER_METRICS.featureServerRequestRate), {
        series: 'frec_http_requests_total',
        labelMatchers: 'namespace="frec",pod=~"fs-a|fs-b"',
        groupBy: 'pod',
      });
      const lag = expandAdapterQuery(q(ADAPTER_METRICS.streamLagSeconds), {
        series: 'frec_feature_view_freshness_seconds',
        labelMatchers: 'namespace="frec"',
        groupBy: '',
      });
      expect(() => selectorsOf(fsRate)).not.toThrow();
      const req = (pod: string, route: string, perMin: number) => ({
        series: `frec_http_requests_total{namespace="frec",pod="${pod}",route="${route}",status="200"}`,
        values: `0+${perMin}x10`,
      });
      const fresh = (pod: string, view: string, v: number) => ({
        series: `frec_feature_view_freshness_seconds{namespace="frec",pod="${pod}",view="${view}"}`,
        values: `${v}x10`,
      });
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
            fresh('fs-a', 'user_recent', 90),
            fresh('fs-b', 'user_recent', 400),
            fresh('fs-a', 'item_live', 240),
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
            // min over pods per view, then the worst view: max(90, 240).
            { expr: lag, eval_time: '8m', exp_samples: [{ labels: '{}', value: 240 }] },
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
