import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, FrecError, StoreError } from '@frec/core';
import { createFeatureServer, resolveServerOptions, serverConfigOf, type FeatureServer } from '@frec/feature-server';
import { driverRepo, startPrivateRedis, type DriverRepo } from './feature-server-fixture.js';

let repo: DriverRepo;
let server: FeatureServer;
let url: string;

beforeAll(async () => {
  repo = await driverRepo();
  server = await createFeatureServer(repo.store, {
    port: 0,
    logLevel: 'silent',
    env: {},
    storeTimeoutMs: 20_000,
    extensions: [
      (app) => {
        // Server-side failures carrying internal detail, as a store or engine raises them.
        app.get('/boom/internal', async () => {
          throw new FrecError(ErrorCode.INTERNAL, 'ERR user_script:1: NOSCRIPT sha 3f1a9c0b... at redis://10.0.0.7:6379');
        });
        app.get('/boom/plain', async () => {
          throw new Error('ECONNREFUSED 10.0.0.7:6379');
        });
        app.get('/boom/store', async () => {
          throw new StoreError(ErrorCode.ONLINE_STORE_UNAVAILABLE, 'Online store Redis at 10.0.0.7:6379 is unavailable: ECONNRESET.', {
            where: { store: '10.0.0.7:6379' },
          });
        });
      },
    ],
  });
  ({ url } = await server.listen());
});
afterAll(async () => {
  await server?.close();
  await repo?.cleanup();
});

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text, headers: res.headers };
}

const read = (ids: number[]) =>
  call('POST', '/get-online-features', { features: ['driver_hourly_stats:conv_rate'], entities: { driver_id: ids } });
const pushBody = (id: number, t: unknown, conv = 0.5) => ({
  push_source_name: 'driver_stats_push',
  df: { driver_id: [id], conv_rate: [conv], acc_rate: [0.5], avg_daily_trips: [1], event_timestamp: [t] },
});

describe('feature server: event times outside the supported range', () => {
  it('/push answers 400 INVALID_PUSH_ROW for 8.64e15 + 1 and 1e20, and the entity stays readable and repairable', async () => {
    for (const t of [8.64e15 + 1, 1e20, -1e17]) {
      const res = await call('POST', '/push', pushBody(1001, t));
      expect(res.status, String(t)).toBe(400);
      expect(res.json.error.code).toBe('INVALID_PUSH_ROW');
      expect(res.json.error.where).toMatchObject({ field: 'event_timestamp' });
      expect(res.text).not.toMatch(/sha|script|ERR /i);
    }
    const before = await read([1001]);
    expect(before.status).toBe(200);
    expect(before.json.results[1].values).toEqual([0.125]);
    const fixed = await call('POST', '/push', pushBody(1001, new Date().toISOString(), 0.75));
    expect(fixed.status).toBe(200);
    expect((await read([1001])).json.results[1].values).toEqual([0.75]);
  });

  it('an entity stored with an out-of-range time before the check existed still reads (200, epoch time)', async () => {
    const online = await repo.store.onlineStore();
    const view = await repo.store.registry.getFeatureView('driver_hourly_stats');
    await online.write(repo.store.project, view, [
      { key: [1099], values: { conv_rate: 0.5, acc_rate: 0.5, avg_daily_trips: 3 }, eventTimeMs: 8.64e15 + 1 },
    ]);
    const res = await read([1099]);
    expect(res.status).toBe(200);
    expect(res.json.results[1].values).toEqual([0.5]);
    expect(res.json.results[1].event_timestamps).toEqual(['1970-01-01T00:00:00Z']);
  });

  it('a 5xx body never carries the internal message: code and a fixed text only', async () => {
    for (const [path, code, status] of [
      ['/boom/internal', 'INTERNAL', 500],
      ['/boom/plain', 'INTERNAL', 500],
      ['/boom/store', 'ONLINE_STORE_UNAVAILABLE', 503],
    ] as const) {
      const res = await call('GET', path);
      expect(res.status, path).toBe(status);
      expect(res.json.error.code).toBe(code);
      expect(res.json.error.message).toMatch(/see the server log/);
      expect(res.text, path).not.toMatch(/10\.0\.0\.7|sha|ECONN|script/i);
    }
  });
});

describe('feature server: methods, API keys and the error log', () => {
  it('DELETE, OPTIONS, PUT or GET on a POST route answer 405 with Allow, whatever the body; unknown paths 404', async () => {
    for (const method of ['DELETE', 'OPTIONS', 'PUT', 'PATCH', 'GET']) {
      for (const headers of [{}, { 'content-type': 'application/json' }] as Array<Record<string, string>>) {
        const res = await call(method, '/push', undefined, headers);
        expect(res.status, `${method} ${JSON.stringify(headers)}`).toBe(405);
        expect(res.headers.get('allow')).toBe('POST');
        expect(res.json.error.code).toBe('METHOD_NOT_ALLOWED');
      }
    }
    const health = await call('DELETE', '/health', undefined, { 'content-type': 'application/json' });
    expect(health.status).toBe(405);
    expect(health.headers.get('allow')).toBe('GET, HEAD');
    for (const method of ['DELETE', 'PUT', 'POST']) {
      const res = await call(method, '/nope', method === 'DELETE' ? undefined : '', { 'content-type': 'application/json' });
      expect(res.status, method).toBe(404);
    }
    // The route itself still reads its body as before.
    expect((await call('POST', '/get-online-features', '')).status).toBe(400);
  });

  it('FREC_API_KEYS holding only separators refuses to start; unset or empty means no auth', async () => {
    const section = serverConfigOf(repo.store.config);
    for (const v of [',', ' ', ' , ,', '\n']) {
      expect(() => resolveServerOptions(section, { env: { FREC_API_KEYS: v } }), JSON.stringify(v)).toThrow(
        expect.objectContaining({ code: 'INVALID_API_KEYS' }),
      );
      await expect(createFeatureServer(repo.store, { port: 0, logLevel: 'silent', env: { FREC_API_KEYS: v } })).rejects.toMatchObject({
        code: 'INVALID_API_KEYS',
      });
    }
    expect(() => resolveServerOptions(section, { env: {}, apiKeys: [' '] })).toThrow(expect.objectContaining({ code: 'INVALID_API_KEYS' }));
    expect(resolveServerOptions(section, { env: { FREC_API_KEYS: '' } }).apiKeys).toEqual([]);
    expect(resolveServerOptions(section, { env: { FREC_API_KEYS: ' a, b ' } }).apiKeys).toEqual(['a', 'b']);
  });

  it('a Redis outage logs one line per kind of failure, then a count of the ones held back', async () => {
    const redis = await startPrivateRedis();
    const outage = await driverRepo({ redisUrl: redis.url });
    const lines: Array<{ msg: string; code?: string; suppressed?: number }> = [];
    const logStream = new PassThrough();
    logStream.on('data', (c: Buffer) =>
      lines.push(
        ...c
          .toString('utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l)),
      ),
    );
    const s = await createFeatureServer(outage.store, {
      port: 0,
      logStream,
      env: {},
      storeTimeoutMs: 30_000,
      breakerThreshold: 1,
      breakerResetMs: 600_000,
      errorLogWindowMs: 600_000,
    });
    try {
      const { url: u } = await s.listen();
      await redis.kill();
      const N = 40;
      for (let i = 0; i < N; i++) {
        const res = await fetch(`${u}/get-online-features`, {
          method: 'POST',
          body: JSON.stringify({ features: ['driver_hourly_stats:conv_rate'], entities: { driver_id: [1001] } }),
        });
        expect(res.status).toBe(503);
      }
      const failed = lines.filter((l) => l.msg.startsWith('request failed'));
      const codes = new Set(failed.map((l) => l.code));
      // One line per distinct code (the first outage, then the open breaker), not one per request.
      expect(failed.length).toBe(codes.size);
      expect(failed.length).toBeLessThanOrEqual(3);
    } finally {
      await s.close();
      await outage.cleanup();
      await redis.kill();
    }
    const summaries = lines.filter((l) => /^request failed \(\d+ similar errors in the last \d+\.\ds\)$/.test(l.msg));
    expect(summaries.length).toBeGreaterThan(0);
    const logged = lines.filter((l) => l.msg.startsWith('request failed') && l.suppressed === undefined).length;
    expect(logged + summaries.reduce((n, l) => n + l.suppressed!, 0)).toBe(40);
  });
});
