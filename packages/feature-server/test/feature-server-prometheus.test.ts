import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createFeatureServer } from '@frec/feature-server';
import { driverRepo, freePort } from './feature-server-fixture.js';

const hasPrometheus = spawnSync('prometheus', ['--version'], { stdio: 'ignore' }).status === 0;
if (!hasPrometheus)
  console.warn('SKIPPED: the `prometheus` binary is not installed (apt-get install -y prometheus); the real-scrape test does not run.');

const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

describe.skipIf(!hasPrometheus)('feature server scraped by a real Prometheus', () => {
  it('Prometheus scrapes /metrics with the API key and answers a query about it', async () => {
    const KEY = 'prom-key';
    const repo = await driverRepo();
    cleanups.push(() => repo.cleanup());
    const server = await createFeatureServer(repo.store, { port: 0, apiKeys: [KEY], logLevel: 'silent', env: {}, storeTimeoutMs: 20_000 });
    cleanups.push(() => server.close());
    const { port } = await server.listen();
    for (let i = 0; i < 7; i++) {
      const res = await fetch(`http://127.0.0.1:${port}/get-online-features`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}` },
        body: JSON.stringify({ features: ['driver_hourly_stats:conv_rate'], entities: { driver_id: [1001, 1002] } }),
      });
      expect(res.status).toBe(200);
    }

    const dir = mkdtempSync(path.join(tmpdir(), 'frec-prom-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(
      path.join(dir, 'prometheus.yml'),
      `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: frec\n    scrape_interval: 1s\n    authorization:\n      credentials: ${KEY}\n    static_configs:\n      - targets: ['127.0.0.1:${port}']\n`,
    );
    const promPort = await freePort();
    const prom: ChildProcess = spawn(
      'prometheus',
      [
        `--config.file=${path.join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${path.join(dir, 'data')}`,
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

    const query = encodeURIComponent('frec_http_requests_total{job="frec",route="/get-online-features",status="200"}');
    const deadline = Date.now() + 30_000;
    let value: number | undefined;
    let upValue: string | undefined;
    while (Date.now() < deadline) {
      try {
        const res = await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=${query}`);
        const j = (await res.json()) as { status: string; data: { result: Array<{ value: [number, string] }> } };
        if (j.status === 'success' && j.data.result.length > 0) {
          value = Number(j.data.result[0]!.value[1]);
          const up = (await (await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=up%7Bjob%3D%22frec%22%7D`)).json()) as typeof j;
          upValue = up.data.result[0]?.value[1];
          break;
        }
      } catch {
        // Prometheus is still starting.
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(value).toBe(7);
    expect(upValue).toBe('1');
  });
});
