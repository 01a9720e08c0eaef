import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeatureStore } from '@frec/core';
import { getOnlineFeaturesNow, type OnlineStore } from '@frec/core/spi';
import { createFeatureServer, type FeatureServer } from '@frec/feature-server';
import '@frec/online';

const run = promisify(execFile);
const FREC = path.resolve(import.meta.dirname, '../../../node_modules/.bin/frec');

/** The same store with its synchronous read hidden: every request takes the promise path. */
function asyncOnly(s: OnlineStore): OnlineStore {
  return {
    type: s.type,
    update: (a) => s.update(a),
    write: (p, v, r) => s.write(p, v, r),
    readColumnsMany: (p, r) => s.readColumnsMany(p, r),
    teardown: (a) => s.teardown(a),
    ping: () => s.ping(),
    close: () => s.close(),
  };
}

describe('frec serve on SQLite: the synchronous read path answers as the promise path does', () => {
  let dir: string;
  const stores: FeatureStore[] = [];
  let sync: FeatureServer;
  let promised: FeatureServer;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'frec-sync-'));
    await run(FREC, ['-c', dir, 'init', 'demo']);
    const repo = path.join(dir, 'demo');
    await run(FREC, ['-c', repo, 'apply']);
    await run(FREC, ['-c', repo, 'materialize', '2000-01-01T00:00:00Z', new Date(Date.now() + 60_000).toISOString()]);
    const a = await FeatureStore.open({ repoPath: repo });
    const b = await FeatureStore.open({ repoPath: repo });
    b.decorateOnlineStore('async-only', asyncOnly);
    stores.push(a, b);
    sync = await createFeatureServer(a, { logLevel: 'silent' });
    promised = await createFeatureServer(b, { logLevel: 'silent' });
  }, 120_000);
  afterAll(async () => {
    await sync?.close();
    await promised?.close();
    for (const s of stores) await s.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const bodies: unknown[] = [
    {
      features: ['driver_hourly_stats:conv_rate', 'driver_hourly_stats:acc_rate', 'driver_hourly_stats:avg_daily_trips'],
      entities: { driver_id: [1001] },
    },
    { features: ['driver_hourly_stats:conv_rate'], entities: { driver_id: [1001, 1002, 9999, 1001, 1005, 1003] } },
    {
      features: ['driver_hourly_stats:conv_rate', 'driver_hourly_stats:conv_rate'],
      entities: { driver_id: [1004] },
      full_feature_names: true,
    },
    { feature_service: 'driver_activity_v1', entities: { driver_id: [1001, 9999] } },
    { features: ['driver_hourly_stats:no_such_feature'], entities: { driver_id: [1001] } },
    { features: ['driver_hourly_stats:conv_rate'], entities: { driver_id: ['not a number'] } },
    { features: ['driver_hourly_stats:conv_rate'], entities: { driver_id: [] } },
  ];

  it('gives byte-identical responses and statuses, and counts them in its metrics', async () => {
    const inject = (s: FeatureServer, body: unknown) =>
      s.app.inject({ method: 'POST', url: '/get-online-features', payload: JSON.stringify(body) });
    // The first request creates the store and caches the registry; after it the sync path is live.
    await inject(sync, bodies[0]);
    const direct = getOnlineFeaturesNow(stores[0]!, { features: ['driver_hourly_stats:conv_rate'], entities: { driver_id: [1001] } });
    expect(direct instanceof Promise).toBe(false);
    let ok = 0;
    for (const body of bodies) {
      const [x, y] = [await inject(sync, body), await inject(promised, body)];
      expect(x.statusCode, JSON.stringify(body)).toBe(y.statusCode);
      expect(x.headers['content-type']).toBe(y.headers['content-type']);
      // Event times differ by nothing: both servers read the same SQLite file.
      expect(x.body).toBe(y.body);
      if (x.statusCode === 200) ok++;
    }
    expect(ok).toBeGreaterThanOrEqual(4);
    const text = await sync.metrics.render();
    const count = Number(/frec_http_requests_total\{route="\/get-online-features",status="200"\} (\d+)/.exec(text)?.[1]);
    expect(count).toBe(ok + 1);
  });
});
