import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { seededRandom } from '@frec/core/spi';
import { queryParquet, sqlLiteral } from '@frec/monitoring';
import { createFeatureServer } from '../src/index.js';
import { driverRepo } from './feature-server-fixture.js';

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

const post = (port: number, body: unknown) =>
  fetch(`http://127.0.0.1:${port}/get-online-features`, { method: 'POST', body: JSON.stringify(body) });

describe('feature server: feature_logging', () => {
  it('samples served requests into Parquet (request id, service, view:feature, entity key, value, status) and writes them on close', async () => {
    const repo = await driverRepo({ serverYaml: 'feature_server:\n  feature_logging:\n    sample_rate: 0.5\n    path: data/flog\n' });
    cleanups.push(() => repo.cleanup());
    const server = await createFeatureServer(repo.store, {
      port: 0,
      logLevel: 'silent',
      env: {},
      storeTimeoutMs: 20_000,
      random: seededRandom(9),
    });
    const { port } = await server.listen();
    for (let i = 0; i < 40; i++) {
      const body =
        i % 2 === 0
          ? { feature_service: 'driver_activity', entities: { driver_id: [1001, 1009] } }
          : { features: ['driver_hourly_stats:conv_rate', 'driver_hourly_stats:avg_daily_trips'], entities: { driver_id: [1002] } };
      expect((await post(port, body)).status).toBe(200);
    }
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const sampled = Number(/^frec_feature_log_requests_total (\d+)$/m.exec(metrics)![1]);
    expect(sampled).toBeGreaterThan(8);
    expect(sampled).toBeLessThan(32);
    await server.close();
    const dir = path.join(repo.dir, 'data/flog');
    const day = readdirSync(dir);
    expect(day).toHaveLength(1);
    expect(day[0]).toMatch(/^date=\d{4}-\d{2}-\d{2}$/);
    const glob = sqlLiteral(path.join(dir, '*/*.parquet'));
    const rows = await queryParquet(
      `SELECT service, feature, entity_key, status, count(*) AS n, count(DISTINCT request_id) AS requests, min(value_num) AS lo FROM read_parquet(${glob}) GROUP BY ALL ORDER BY ALL`,
    );
    const requests = rows.reduce(
      (a, r) => a + (r.feature === 'driver_hourly_stats:conv_rate' && r.entity_key !== 'driver_id=1009' ? Number(r.requests) : 0),
      0,
    );
    expect(requests).toBe(sampled);
    const keys = rows.map((r) => `${r.service} ${r.feature} ${r.entity_key} ${r.status}`);
    expect(keys).toContain('driver_activity driver_hourly_stats:conv_rate driver_id=1001 PRESENT');
    expect(keys).toContain('driver_activity driver_hourly_stats:acc_rate driver_id=1009 NOT_FOUND');
    expect(keys).toContain('adhoc driver_hourly_stats:avg_daily_trips driver_id=1002 PRESENT');
    expect(rows.find((r) => r.feature === 'driver_hourly_stats:avg_daily_trips')!.lo).toBe(101);
  });

  it('is off by default: no rows, no folder', async () => {
    const repo = await driverRepo();
    cleanups.push(() => repo.cleanup());
    const server = await createFeatureServer(repo.store, { port: 0, logLevel: 'silent', env: {} });
    expect(server.featureLog).toBeUndefined();
    const { port } = await server.listen();
    expect((await post(port, { feature_service: 'driver_activity', entities: { driver_id: [1001] } })).status).toBe(200);
    await server.close();
    expect(existsSync(path.join(repo.dir, 'data/monitoring/feature-log'))).toBe(false);
  });

  it('a bad feature_logging section is a config error that names the field', async () => {
    const repo = await driverRepo({ serverYaml: 'feature_server:\n  feature_logging:\n    sample_rate: 2\n' });
    cleanups.push(() => repo.cleanup());
    await expect(createFeatureServer(repo.store)).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      message: expect.stringContaining('sample_rate'),
    });
  });
});
