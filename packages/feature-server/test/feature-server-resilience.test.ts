import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createFeatureServer } from '@frec/feature-server';
import { deleteKeys, driverRepo, startPrivateRedis, type DriverRepo, type PrivateRedis } from './feature-server-fixture.js';

const BODY = JSON.stringify({ features: ['driver_hourly_stats:conv_rate'], entities: { driver_id: [1001, 1002] } });
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

async function timedPost(url: string): Promise<{ status: number; ms: number; body: any }> {
  const t0 = performance.now();
  const res = await fetch(`${url}/get-online-features`, { method: 'POST', body: BODY });
  const body = await res.json();
  return { status: res.status, ms: performance.now() - t0, body };
}

describe('feature server: a dead online store', () => {
  it('answers 503 (never hangs), fails fast once the breaker opens, and stays up', { timeout: 300_000 }, async () => {
    const redis = await startPrivateRedis();
    cleanups.push(() => redis.kill());
    const repo = await driverRepo({ redisUrl: redis.url });
    cleanups.push(() => repo.cleanup());
    // Counts the reads that reach the store, so "fails fast" is shown by count, not by a latency bound.
    let storeReads = 0;
    repo.store.decorateOnlineStore(
      'count-reads',
      (inner) =>
        new Proxy(inner, {
          get(target, prop) {
            if (prop === 'readColumnsMany')
              return (...args: Parameters<typeof target.readColumnsMany>) => (storeReads++, target.readColumnsMany(...args));
            const v = Reflect.get(target, prop) as unknown;
            return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
          },
        }),
    );
    const server = await createFeatureServer(repo.store, {
      port: 0,
      logLevel: 'silent',
      storeTimeoutMs: 1500,
      breakerThreshold: 3,
      breakerResetMs: 600_000,
      env: {},
    });
    cleanups.push(() => server.close());
    const { url } = await server.listen();
    expect((await timedPost(url)).status).toBe(200);

    await redis.kill();
    const first = await timedPost(url);
    expect(first.status).toBe(503);
    expect(['ONLINE_STORE_UNAVAILABLE', 'ONLINE_STORE_TIMEOUT']).toContain(first.body.error.code);
    for (let i = 0; i < 3; i++) expect((await timedPost(url)).status).toBe(503);
    // The breaker is open now: requests answer 503 without reaching the dead store at all.
    const readsWhenOpen = storeReads;
    expect(readsWhenOpen).toBeGreaterThanOrEqual(3);
    for (let i = 0; i < 5; i++) {
      const fast = await timedPost(url);
      expect(fast.status).toBe(503);
      expect(fast.body.error.code).toBe('ONLINE_STORE_UNAVAILABLE');
    }
    expect(storeReads).toBe(readsWhenOpen);

    const ready = await fetch(`${url}/ready`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { checks: { online_store: string } }).checks.online_store).toMatch(/^error/);
    expect((await fetch(`${url}/health`)).status).toBe(200);
    // A bad request is still a 4xx, not a 503: validation does not need the store.
    const bad = await fetch(`${url}/get-online-features`, { method: 'POST', body: '{"entities":1}' });
    expect(bad.status).toBe(400);
  });
});

describe('feature server: graceful shutdown', () => {
  let redis: PrivateRedis;
  let repo: DriverRepo;

  it('drains an in-flight request, refuses new connections, then closes', { timeout: 300_000 }, async () => {
    redis = await startPrivateRedis();
    cleanups.push(() => redis.kill());
    repo = await driverRepo({ redisUrl: redis.url, commandTimeoutMs: 5000 });
    cleanups.push(() => repo.cleanup());
    const server = await createFeatureServer(repo.store, { port: 0, logLevel: 'silent', storeTimeoutMs: 5000, env: {} });
    const { url, port } = await server.listen();
    expect((await timedPost(url)).status).toBe(200);

    // Pause the private Redis so the next read is in flight while the server closes.
    const admin = new Redis(redis.url);
    admin.on('error', () => undefined);
    cleanups.push(async () => admin.disconnect());
    await admin.call('CLIENT', 'PAUSE', '800', 'ALL');
    const inflight = timedPost(url);
    await new Promise((r) => setTimeout(r, 150));
    const t0 = performance.now();
    const closed = server.close();
    await new Promise((r) => setTimeout(r, 50));
    const refused = await fetch(`http://127.0.0.1:${port}/health`).then(
      (r) => r.status,
      () => 'refused',
    );
    expect(refused).toBe('refused');
    const done = await inflight;
    expect(done.status).toBe(200);
    expect(done.body.results[1].values).toEqual([0.125, 0.375]);
    await closed;
    const closeMs = performance.now() - t0;
    // close() waited for the paused read (about 600 ms left of the pause); no upper bound: a loaded machine is slow.
    expect(closeMs).toBeGreaterThan(400);
  });
});

describe('frec serve (CLI)', () => {
  it('serves a repo with --workers 2, logs JSON, and exits 0 on SIGTERM', { timeout: 600_000 }, async () => {
    const repo = await driverRepo();
    cleanups.push(() => repo.cleanup());
    // The CLI reads feature_store.yaml from the repo; the registry was applied by the fixture.
    const cfg = repo.store.config;
    const online = cfg.online_store as unknown as { connection_string: string; key_prefix: string };
    writeFileSync(
      path.join(repo.dir, 'feature_store.yaml'),
      `project: ${cfg.project}\nplugins: ['@frec/online', '@frec/offline', '@frec/streaming/redis-streams']\nregistry: ${cfg.registry.path}\nonline_store:\n  type: redis\n  connection_string: ${online.connection_string}\n  key_prefix: '${online.key_prefix}'\n`,
    );
    const bin = path.resolve('node_modules/.bin/frec');
    const child = spawn(bin, ['-c', repo.dir, 'serve', '--port', '0', '--workers', '2'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FREC_API_KEYS: 'cli-key' },
    });
    cleanups.push(async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const urls = new Set<string>();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no listen lines in time; stdout: ${out}\nstderr: ${err}`)), 300_000);
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        for (const line of out.split('\n')) {
          if (!line.startsWith('{')) continue;
          const j = JSON.parse(line) as { msg?: string; url?: string };
          if (j.msg === 'feature server listening' && j.url) urls.add(j.url);
        }
        if (urls.size >= 1 && out.split('feature server listening').length - 1 >= 2) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => reject(new Error(`frec serve exited early with ${code}: ${err}`)));
    });
    // Both workers share one port.
    expect(urls.size).toBe(1);
    const url = [...urls][0]!;
    const res = await fetch(`${url}/get-online-features`, { method: 'POST', headers: { 'x-api-key': 'cli-key' }, body: BODY });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { results: Array<{ values: number[] }> }).results[1]!.values).toEqual([0.125, 0.375]);
    expect((await fetch(`${url}/get-online-features`, { method: 'POST', body: BODY })).status).toBe(401);
    for (let i = 0; i < 3; i++) {
      expect((await fetch(`${url}/get-online-features`, { method: 'POST', headers: { 'x-api-key': 'cli-key' }, body: BODY })).status).toBe(
        200,
      );
    }
    // Round-robin spreads the 4 reads over both workers; /metrics on either sums them.
    const metrics = await (await fetch(`${url}/metrics`, { headers: { 'x-api-key': 'cli-key' } })).text();
    expect(metrics).toContain('frec_http_requests_total{route="/get-online-features",status="200"} 4');

    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toContain('all workers stopped');
    await deleteKeys('redis://127.0.0.1:6379', repo.prefix);
  });
});
