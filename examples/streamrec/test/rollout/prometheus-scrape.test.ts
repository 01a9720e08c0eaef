import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FeatureStore } from '@frec/core';
import '@frec/online';
import { createFeatureServer } from '@frec/feature-server';
import { computeSkewReport, writeSkewReport } from '@frec/monitoring';
import { OnnxRanker } from '@frec/model-serving/ranking';
import { createRecommendServer } from '../../src/recommender/server/recommend-server.js';
import { RecommendMetrics } from '../../src/recommender/recommend-metrics.js';
import { tinyRankerOnnx } from '../../../../packages/model-serving/test/helpers/tiny-onnx.js';
import { PROD_WEIGHTS, rolloutWorld } from './rollout-fixture.js';

const hasPrometheus = spawnSync('prometheus', ['--version'], { stdio: 'ignore' }).status === 0;
if (!hasPrometheus)
  console.warn('SKIPPED: the `prometheus` binary is not installed (apt-get install -y prometheus); the real-scrape test does not run.');

const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

describe.skipIf(!hasPrometheus)('a real Prometheus scrapes the monitoring gauges', () => {
  it('model age and HTTP requests from the recommender; PSI, null share and the skew flag from the feature server', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'frec-prom-monitoring-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));

    // The recommender, with a served model whose training data ended 100,000 s before its clock.
    const ranker = await OnnxRanker.load({ model: tinyRankerOnnx(PROD_WEIGHTS, 0.1), version: 'ranker@1' });
    cleanups.push(() => ranker.close());
    const metrics = new RecommendMetrics();
    const end = Date.UTC(2026, 0, 1);
    metrics.now = () => end + 100_000_000;
    metrics.setServedModel('ranker', 'ranker@1', end);
    metrics.setServedModel('two_tower', 'two_tower@1', end + 90_000_000);
    const app = createRecommendServer({ recommender: rolloutWorld(61).recommender(ranker, { metrics }) });
    const recUrl = await app.listen({ host: '127.0.0.1', port: 0 });
    cleanups.push(() => app.close());
    for (let u = 1; u <= 5; u++) {
      const res = await fetch(`${recUrl}/recommendations`, {
        method: 'POST',
        body: JSON.stringify({ userId: u }),
        headers: { 'content-type': 'application/json' },
      });
      expect(res.status).toBe(200);
    }
    expect(
      (
        await fetch(`${recUrl}/recommendations`, {
          method: 'POST',
          body: '{"userId": []}',
          headers: { 'content-type': 'application/json' },
        })
      ).status,
    ).toBe(400);

    // The feature server, with yesterday's skew report in its repo.
    const repo = path.join(dir, 'repo');
    mkdirSync(repo);
    writeFileSync(
      path.join(repo, 'feature_store.yaml'),
      'project: prom_skew\nregistry: data/registry.json\nonline_store:\n  type: sqlite\n  path: data/online.db\n',
    );
    const report = computeSkewReport({
      date: '2026-12-01',
      reference: {
        kind: 'offline_source',
        name: 'user_stats_source',
        features: new Map([['user_stats:mean_rating', { values: Array.from({ length: 1000 }, (_, i) => 3 + (i % 10) / 10) }]]),
      },
      served: {
        features: new Map([
          ['user_stats:mean_rating', { values: Array.from({ length: 200 }, (_, i) => (i % 5 === 0 ? null : 3.8 + (i % 10) / 10)) }],
        ]),
      },
    });
    await writeSkewReport(path.join(repo, 'data/monitoring/skew'), report);
    const store = await FeatureStore.open({ repoPath: repo });
    cleanups.push(() => store.close());
    const fs = await createFeatureServer(store, { port: 0, logLevel: 'silent', env: {} });
    cleanups.push(() => fs.close());
    const { port: fsPort } = await fs.listen();

    const promDir = path.join(dir, 'prom');
    mkdirSync(promDir);
    const recPort = Number(new URL(recUrl).port);
    writeFileSync(
      path.join(promDir, 'prometheus.yml'),
      `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: recommender\n    static_configs:\n      - targets: ['127.0.0.1:${recPort}']\n  - job_name: feature-server\n    static_configs:\n      - targets: ['127.0.0.1:${fsPort}']\n`,
    );
    const promPort = await freePort();
    const prom: ChildProcess = spawn(
      'prometheus',
      [
        `--config.file=${path.join(promDir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${path.join(promDir, 'data')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
        '--log.level=warn',
      ],
      { stdio: 'ignore' },
    );
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          if (prom.exitCode !== null) return resolve();
          prom.once('exit', () => resolve());
          prom.kill('SIGTERM');
          setTimeout(() => prom.kill('SIGKILL'), 3000).unref();
        }),
    );
    const query = async (q: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> => {
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline) {
        try {
          const j = (await (await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent(q)}`)).json()) as {
            status: string;
            data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
          };
          if (j.status === 'success' && j.data.result.length > 0) return j.data.result;
        } catch {
          // Prometheus is still starting.
        }
        await new Promise((r) => setTimeout(r, 250));
      }
      return [];
    };
    const age = await query('max by (model) (frec_model_age_seconds{job="recommender"})');
    expect(Object.fromEntries(age.map((r) => [r.metric.model, Number(r.value[1])]))).toEqual({ ranker: 100_000, two_tower: 10_000 });
    // The 72 h rule's expression, as deploy/ writes it, picks the stale model only at its threshold.
    expect(await query('max by (model) (frec_model_age_seconds) > 86400')).toHaveLength(1);
    const ok = await query('frec_recommend_http_requests_total{job="recommender",route="/recommendations",status="200"}');
    expect(Number(ok[0]!.value[1])).toBe(5);
    expect(Number((await query('frec_recommend_http_requests_total{route="/recommendations",status="400"}'))[0]!.value[1])).toBe(1);
    const psi = await query('frec_feature_psi{job="feature-server"}');
    expect(psi.map((r) => [r.metric.feature, Number(r.value[1])])).toEqual([['user_stats:mean_rating', report.features[0]!.psi]]);
    expect(report.features[0]!.flagged).toBe(true);
    expect(Number((await query('frec_feature_skew_flagged{feature="user_stats:mean_rating"}'))[0]!.value[1])).toBe(1);
    expect(Number((await query('frec_feature_null_share{side="served"}'))[0]!.value[1])).toBeCloseTo(0.2, 6);
  });
});
