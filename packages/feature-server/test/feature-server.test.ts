import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeyAuth, createFeatureServer, resolveServerOptions, serverConfigOf, type FeatureServer } from '@frec/feature-server';
import { driverRepo, type DriverRepo } from './feature-server-fixture.js';

const KEY = 'test-key-0123456789';
let repo: DriverRepo;
let server: FeatureServer;
let url: string;
const logLines: string[] = [];

beforeAll(async () => {
  repo = await driverRepo();
  const logStream = new PassThrough();
  logStream.on('data', (chunk: Buffer) => logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean)));
  server = await createFeatureServer(repo.store, {
    port: 0,
    apiKeys: [KEY],
    maxEntities: 50,
    maxBodyBytes: 16_384,
    logStream,
    env: {},
    storeTimeoutMs: 20_000,
  });
  ({ url } = await server.listen());
});

afterAll(async () => {
  await server?.close();
  await repo?.cleanup();
});

async function post(
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: any; text: string }> {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text };
}

describe('feature server: Feast shapes', () => {
  it('answers /get-online-features with join keys first, statuses and RFC 3339 event times', async () => {
    const res = await post('/get-online-features', {
      features: ['driver_hourly_stats:conv_rate', 'driver_hourly_stats:avg_daily_trips'],
      entities: { driver_id: [1001, 1002, 9999] },
    });
    expect(res.status).toBe(200);
    expect(res.json.metadata.feature_names).toEqual(['driver_id', 'conv_rate', 'avg_daily_trips']);
    const [keys, conv, trips] = res.json.results;
    expect(keys).toEqual({
      values: [1001, 1002, 9999],
      statuses: ['PRESENT', 'PRESENT', 'PRESENT'],
      event_timestamps: ['1970-01-01T00:00:00Z', '1970-01-01T00:00:00Z', '1970-01-01T00:00:00Z'],
    });
    const stamp = repo.eventTime.toISOString().replace('.000Z', 'Z');
    expect(conv.values).toEqual([0.125, 0.375, null]);
    expect(conv.statuses).toEqual(['PRESENT', 'PRESENT', 'NOT_FOUND']);
    expect(conv.event_timestamps).toEqual([stamp, stamp, '1970-01-01T00:00:00Z']);
    expect(trips.values).toEqual([100, 101, null]);
  });

  it('takes a feature_service and full_feature_names', async () => {
    const res = await post('/get-online-features', {
      feature_service: 'driver_activity',
      entities: { driver_id: [1003] },
      full_feature_names: true,
    });
    expect(res.status).toBe(200);
    expect(res.json.metadata.feature_names).toEqual(['driver_id', 'driver_hourly_stats__conv_rate', 'driver_hourly_stats__acc_rate']);
    expect(res.json.results[1].values).toEqual([0.625]);
  });

  it('passes request data in entities columns to on-demand views, as Feast does', async () => {
    const res = await post('/get-online-features', {
      features: ['transformed_conv_rate:conv_rate_plus_val1'],
      entities: { driver_id: [1001, 1002], val_to_add: [10, 20] },
    });
    expect(res.status).toBe(200);
    expect(res.json.metadata.feature_names).toEqual(['driver_id', 'conv_rate_plus_val1']);
    expect(res.json.results[1].values).toEqual([10.125, 20.375]);
  });

  it("accepts Feast's curl examples, which send JSON without a JSON content type", async () => {
    const res = await post(
      '/get-online-features',
      { features: ['driver_hourly_stats:acc_rate'], entities: { driver_id: [1001] } },
      { 'content-type': 'application/x-www-form-urlencoded' },
    );
    expect(res.status).toBe(200);
    expect(res.json.results[1].values).toEqual([0.5]);
  });

  it('pushes a Feast push body to the online store and serves it at once', async () => {
    const at = new Date(Date.now() - 1000).toISOString();
    const push = await post('/push', {
      push_source_name: 'driver_stats_push',
      df: { driver_id: [1005], conv_rate: [0.75], acc_rate: [0.25], avg_daily_trips: [555], event_timestamp: [at] },
      to: 'online',
    });
    expect(push.status).toBe(200);
    expect(push.json.rows).toBe(1);
    const res = await post('/get-online-features', { features: ['driver_hourly_stats:avg_daily_trips'], entities: { driver_id: [1005] } });
    expect(res.json.results[1].values).toEqual([555]);
    expect(res.json.results[1].event_timestamps).toEqual([at.replace('.000Z', 'Z')]);
  });
});

describe('feature server: auth', () => {
  it('answers 401 the same way for a missing, malformed or wrong key', async () => {
    const body = { features: ['driver_hourly_stats:conv_rate'], entities: { driver_id: [1001] } };
    const noKey = await fetch(`${url}/get-online-features`, { method: 'POST', body: JSON.stringify(body) });
    const wrong = await post('/get-online-features', body, { authorization: 'Bearer nope' });
    const malformed = await post('/get-online-features', body, { authorization: `Basic ${KEY}` });
    const almost = await post('/get-online-features', body, { authorization: `Bearer ${KEY.slice(0, -1)}` });
    const noKeyText = await noKey.text();
    expect(noKey.status).toBe(401);
    for (const r of [wrong, malformed, almost]) {
      expect(r.status).toBe(401);
      expect(r.text).toBe(noKeyText);
    }
    expect(JSON.parse(noKeyText).error.code).toBe('UNAUTHORIZED');
  });

  it('accepts the key as a bearer token or X-API-Key, and leaves /health and /ready open', async () => {
    const body = { features: ['driver_hourly_stats:conv_rate'], entities: { driver_id: [1001] } };
    expect((await post('/get-online-features', body)).status).toBe(200);
    expect((await post('/get-online-features', body, { authorization: '', 'x-api-key': KEY })).status).toBe(200);
    expect((await fetch(`${url}/health`)).status).toBe(200);
    const ready = await fetch(`${url}/ready`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { checks: { online_store: string } }).checks.online_store).toBe('ok');
    expect((await fetch(`${url}/metrics`)).status).toBe(401);
  });

  it('binds to 127.0.0.1 unless told otherwise', () => {
    expect(server.options.host).toBe('127.0.0.1');
  });
});

describe('feature server: bad input', () => {
  it('400 names the field zod rejected', async () => {
    const res = await post('/get-online-features', { features: ['driver_hourly_stats:conv_rate'], entities: { driver_id: 'x' } });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('INVALID_REQUEST');
    expect(res.json.error.message).toContain('entities.driver_id');
    expect(res.json.error.where.field).toBe('entities.driver_id');
  });

  it('400 suggests the known field for a typo', async () => {
    const res = await post('/get-online-features', { featurs: ['driver_hourly_stats:conv_rate'], entities: { driver_id: [1] } });
    expect(res.status).toBe(400);
    expect(res.json.error.message).toContain("unknown field 'featurs'");
    expect(res.json.error.message).toContain("'features'");
  });

  it('400 for both or neither of features and feature_service', async () => {
    const both = await post('/get-online-features', {
      features: ['driver_hourly_stats:conv_rate'],
      feature_service: 'driver_activity',
      entities: { driver_id: [1] },
    });
    const neither = await post('/get-online-features', { entities: { driver_id: [1] } });
    for (const r of [both, neither]) {
      expect(r.status).toBe(400);
      expect(r.json.error.message).toContain("exactly one of 'features' or 'feature_service'");
    }
  });

  it('400 for malformed JSON, a non-object body, and an empty body', async () => {
    for (const body of ['{"features": [', '[1,2]', '42', '']) {
      const res = await post('/get-online-features', body);
      expect(res.status, body).toBe(400);
      expect(res.json.error.code).toBe('INVALID_REQUEST');
    }
  });

  it('400 names the column whose length differs', async () => {
    const res = await post('/get-online-features', {
      features: ['transformed_conv_rate:conv_rate_plus_val1'],
      entities: { driver_id: [1001, 1002], val_to_add: [1] },
    });
    expect(res.status).toBe(400);
    expect(res.json.error.message).toContain('entities.val_to_add has 1 values but entities.driver_id has 2');
  });

  it('400 for a prototype-poisoning body', async () => {
    const res = await post(
      '/get-online-features',
      '{"features":["driver_hourly_stats:conv_rate"],"entities":{"driver_id":[1]},"__proto__":{"x":1}}',
    );
    expect(res.status).toBe(400);
    const res2 = await post('/get-online-features', { features: ['driver_hourly_stats:conv_rate'], entities: { constructor: [1] } });
    expect(res2.status).toBe(400);
  });

  it('400 WRONG_TYPE for a join key of the wrong type, naming the key', async () => {
    const res = await post('/get-online-features', {
      features: ['driver_hourly_stats:conv_rate'],
      entities: { driver_id: ['not-a-number'] },
    });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('WRONG_TYPE');
    expect(res.json.error.message).toContain('driver_id');
  });

  it('404 for an unknown feature or view, with the closest names', async () => {
    const feature = await post('/get-online-features', { features: ['driver_hourly_stats:conv_rat'], entities: { driver_id: [1001] } });
    expect(feature.status).toBe(404);
    expect(feature.json.error.code).toBe('UNKNOWN_FEATURE');
    expect(feature.json.error.message).toContain("'conv_rate'");
    const view = await post('/get-online-features', { features: ['driver_hourly_stat:conv_rate'], entities: { driver_id: [1001] } });
    expect(view.status).toBe(404);
    expect(view.json.error.message).toContain("'driver_hourly_stats'");
    const svc = await post('/get-online-features', { feature_service: 'driver_activty', entities: { driver_id: [1001] } });
    expect(svc.status).toBe(404);
    expect(svc.json.error.message).toContain("'driver_activity'");
  });

  it('413 for a body over max_body_bytes and for more entities than max_entities', async () => {
    const big = await post('/get-online-features', {
      features: ['driver_hourly_stats:conv_rate'],
      entities: { driver_id: Array.from({ length: 4000 }, (_, i) => 100000 + i) },
    });
    expect(big.status).toBe(413);
    expect(big.json.error.code).toBe('REQUEST_TOO_LARGE');
    const many = await post('/get-online-features', {
      features: ['driver_hourly_stats:conv_rate'],
      entities: { driver_id: Array.from({ length: 51 }, (_, i) => i) },
    });
    expect(many.status).toBe(413);
    expect(many.json.error.message).toContain('at most 50 rows');
    const ok = await post('/get-online-features', {
      features: ['driver_hourly_stats:conv_rate'],
      entities: { driver_id: Array.from({ length: 50 }, (_, i) => i) },
    });
    expect(ok.status).toBe(200);
  });

  it('400 for a bad push body, naming the field, and 404 for an unknown push source', async () => {
    const badTo = await post('/push', { push_source_name: 'driver_stats_push', df: { driver_id: [1] }, to: 'nowhere' });
    expect(badTo.status).toBe(400);
    expect(badTo.json.error.message).toContain('to:');
    const unknown = await post('/push', { push_source_name: 'driver_stats_pus', df: { driver_id: [1] } });
    expect(unknown.status).toBe(404);
    const badRow = await post('/push', {
      push_source_name: 'driver_stats_push',
      df: { driver_id: [1001], conv_rate: ['high'], acc_rate: [0.1], avg_daily_trips: [1], event_timestamp: [new Date().toISOString()] },
    });
    expect(badRow.status).toBe(400);
    expect(badRow.json.error.message).toContain('conv_rate');
  });

  it('404 for an unknown route', async () => {
    const res = await post('/get-online-feature', {});
    expect(res.status).toBe(404);
  });
});

describe('feature server: metrics and logs', () => {
  it('counts every request, store read and row exactly, per label set', async () => {
    const scrape = async (): Promise<string> => (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${KEY}` } })).text();
    const value = (text: string, series: string): number => {
      const line = text.split('\n').find((l) => l.startsWith(`${series} `));
      return line === undefined ? 0 : Number(line.slice(series.length + 1));
    };
    const ok = 'frec_http_requests_total{route="/get-online-features",status="200"}';
    const bad = 'frec_http_requests_total{route="/get-online-features",status="404"}';
    const okCount = 'frec_http_request_duration_seconds_count{route="/get-online-features",method="POST",status="200"}';
    const reads = 'frec_online_store_read_duration_seconds_count{view="driver_hourly_stats"}';
    const rows = 'frec_online_rows_read_total{view="driver_hourly_stats"}';
    const before = await scrape();
    for (let i = 0; i < 5; i++) {
      const res = await post('/get-online-features', {
        features: ['driver_hourly_stats:conv_rate'],
        entities: { driver_id: [1001, 1002] },
      });
      expect(res.status).toBe(200);
    }
    for (let i = 0; i < 2; i++)
      expect((await post('/get-online-features', { features: ['no_such_view:x'], entities: { driver_id: [1] } })).status).toBe(404);
    const after = await scrape();
    expect(value(after, ok) - value(before, ok)).toBe(5);
    expect(value(after, okCount) - value(before, okCount)).toBe(5);
    expect(value(after, bad) - value(before, bad)).toBe(2);
    expect(value(after, reads) - value(before, reads)).toBe(5);
    expect(value(after, rows) - value(before, rows)).toBe(10);
  });

  it('exposes request, error, store-read, rows, registry-age and freshness metrics', async () => {
    const res = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${KEY}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toMatch(
      /frec_http_request_duration_seconds_bucket\{le="[^"]+",route="\/get-online-features",method="POST",status="200"\} [1-9]/,
    );
    expect(text).toMatch(/frec_http_requests_total\{route="\/get-online-features",status="200"\} [1-9]/);
    expect(text).toMatch(/frec_http_errors_total\{route="\/get-online-features",code="UNKNOWN_FEATURE"\} [1-9]/);
    expect(text).toMatch(/frec_http_errors_total\{route="\/get-online-features",code="UNAUTHORIZED"\} [1-9]/);
    expect(text).toMatch(/frec_online_store_read_duration_seconds_count\{view="driver_hourly_stats"\} [1-9]/);
    expect(text).toMatch(/frec_online_rows_read_total\{view="driver_hourly_stats"\} [1-9]/);
    expect(text).toMatch(/frec_registry_age_seconds \d/);
    const fresh = /frec_feature_view_freshness_seconds\{view="driver_hourly_stats"\} ([\d.e+-]+)/.exec(text);
    expect(fresh).not.toBeNull();
    // The freshest value is the one pushed a moment ago.
    expect(Number(fresh![1])).toBeLessThan(30);
  });

  it('writes structured JSON logs with route, status and error code', () => {
    const parsed = logLines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const rejected = parsed.find((l) => l.msg === 'request rejected' && l.code === 'UNKNOWN_FEATURE');
    expect(rejected).toMatchObject({ route: '/get-online-features', method: 'POST', status: 404 });
    expect(typeof rejected!.ms).toBe('number');
    expect(parsed.some((l) => l.msg === 'feature server listening')).toBe(true);
  });
});

describe('feature server: options', () => {
  it('merges API keys from feature_store.yaml, FREC_API_KEYS and options, and keeps config defaults', () => {
    const config = serverConfigOf(repo.store.config);
    const opts = resolveServerOptions(
      { ...config, api_keys: ['from-yaml'] },
      { env: { FREC_API_KEYS: 'env-a, env-b,,' }, apiKeys: ['from-option'] },
    );
    expect(opts.apiKeys.sort()).toEqual(['env-a', 'env-b', 'from-option', 'from-yaml']);
    expect(opts.host).toBe('127.0.0.1');
    expect(opts.port).toBe(6566);
    expect(opts.maxBodyBytes).toBe(1_048_576);
    const auth = new ApiKeyAuth(opts.apiKeys);
    expect(auth.accepts('env-b')).toBe(true);
    expect(auth.accepts('env-c')).toBe(false);
    expect(auth.accepts(undefined)).toBe(false);
    expect(new ApiKeyAuth([]).accepts(undefined)).toBe(true);
  });
});
