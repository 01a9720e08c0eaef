import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeatureStore } from '@frec/core';
import { seededRandom } from '@frec/core/spi';
import { createFeatureServer, toFeastResponse, type FeatureServer } from '@frec/feature-server';
import '@frec/online';

const run = promisify(execFile);
const FREC = path.resolve(import.meta.dirname, '../../../node_modules/.bin/frec');
const FEATURES = ['driver_hourly_stats:conv_rate', 'driver_hourly_stats:acc_rate', 'driver_hourly_stats:avg_daily_trips'];

/**
 * The server's per-request shortcuts (one features array per request shape, JSON.parse for bodies
 * that cannot carry a poisoning key) against what they stand in for: the SDK's own call with a
 * fresh array, and fastify's secure parser with its coded errors.
 */
describe('frec serve hot path: request-shape caches and the plain JSON parse', () => {
  let dir: string;
  let store: FeatureStore;
  let server: FeatureServer;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'frec-hot-'));
    await run(FREC, ['-c', dir, 'init', 'demo']);
    const repo = path.join(dir, 'demo');
    await run(FREC, ['-c', repo, 'apply']);
    await run(FREC, ['-c', repo, 'materialize', '2000-01-01T00:00:00Z', new Date(Date.now() + 60_000).toISOString()]);
    store = await FeatureStore.open({ repoPath: repo });
    server = await createFeatureServer(store, { logLevel: 'silent' });
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const post = (payload: string) => server.app.inject({ method: 'POST', url: '/get-online-features', payload });

  it('answers 60 seeded requests over more shapes than it keeps as the SDK answers each alone', async () => {
    const rnd = seededRandom(24);
    // 1-4 features drawn with repeats, in any order: more than 16 distinct lists, so kept ones are evicted and come back.
    const shapes = new Set<string>();
    for (let i = 0; i < 60; i++) {
      const features = Array.from({ length: 1 + Math.floor(rnd() * 4) }, () => FEATURES[Math.floor(rnd() * FEATURES.length)]!);
      shapes.add(features.join());
      const ids = Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => 1001 + Math.floor(rnd() * 6));
      const full = rnd() < 0.3;
      const res = await post(JSON.stringify({ features, entities: { driver_id: ids }, full_feature_names: full }));
      const want = toFeastResponse(
        await store.getOnlineFeatures({ features: [...features], entities: { driver_id: ids }, fullFeatureNames: full }),
      );
      expect(res.statusCode, res.body).toBe(200);
      expect(JSON.parse(res.body)).toEqual(JSON.parse(JSON.stringify(want)));
    }
    expect(shapes.size).toBeGreaterThan(16);
  });

  it('parses a body with escapes the same way as its plain spelling', async () => {
    const plain = JSON.stringify({ features: FEATURES, entities: { driver_id: [1001, 1002] } });
    // \u0063 is 'c': the same feature name, spelled so that only the secure parser reads it.
    const escaped = plain.replace('driver_hourly_stats:conv_rate', 'driver_hourly_stats:\\u0063onv_rate');
    expect(escaped).not.toBe(plain);
    const [a, b] = [await post(plain), await post(escaped)];
    expect(a.statusCode).toBe(200);
    expect(b.body).toBe(a.body);
  });

  it('refuses poisoning keys in every spelling, and bad JSON, with the same coded 400 as before', async () => {
    const base = '{"features":["driver_hourly_stats:conv_rate"],"entities":{"driver_id":[1]}';
    for (const body of [
      `${base},"__proto__":{"x":1}}`,
      `${base},"\\u005f_proto__":{"x":1}}`,
      `${base},"constructor":{"prototype":{"x":1}}}`,
      `\ufeff${base},"__proto__":{"x":1}}`,
    ]) {
      const res = await post(body);
      expect(res.statusCode, body).toBe(400);
      expect(res.json().error.code, body).toBe('INVALID_REQUEST');
      expect(res.json().error.message, body).toContain('not valid JSON');
    }
    for (const body of [`${base}`, '{"features": [', 'nul']) {
      const res = await post(body);
      expect(res.statusCode, body).toBe(400);
      expect(res.json().error.code).toBe('INVALID_REQUEST');
      expect(res.json().error.message).toContain('not valid JSON');
    }
    // An empty body never reaches a parser: the route refuses it as it always has.
    const empty = await post('');
    expect(empty.statusCode).toBe(400);
    expect(empty.json().error.code).toBe('INVALID_REQUEST');
  });
});
