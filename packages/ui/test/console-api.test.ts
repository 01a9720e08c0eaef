import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFeatureServer, type FeatureServer } from '@frec/feature-server';
import { mountConsole, registrySource } from '../src/index.js';
import { numericEntry, categoricalEntry } from './support/index.js';
import { createConsoleRepo, DAYS, PAYLOAD, type ConsoleRepo } from './helpers/console-repo.js';

const KEY = 'console-test-key';
let repo: ConsoleRepo;
let server: FeatureServer;
let url: string;

async function get(p: string, key: string | null = KEY): Promise<{ status: number; body: any; headers: Record<string, unknown> }> {
  const res = await server.app.inject({ method: 'GET', url: p, headers: key ? { authorization: `Bearer ${key}` } : {} });
  return {
    status: res.statusCode,
    body: res.headers['content-type']?.toString().includes('json') ? res.json() : res.body,
    headers: res.headers,
  };
}

beforeAll(async () => {
  repo = await createConsoleRepo();
  server = await createFeatureServer(repo.store, {
    port: 0,
    apiKeys: [KEY],
    logLevel: 'silent',
    extensions: [
      (app, { store, metrics }) =>
        mountConsole(app, store, { metrics: [registrySource('feature-server', metrics.registry)], metricsMinIntervalMs: 0 }),
    ],
  });
  ({ url } = await server.listen());
}, 120_000);
afterAll(async () => {
  await server?.close();
  await repo?.close();
});

describe('the console API in the feature server (frec serve --ui)', () => {
  it('answers 401 without a key on every /api/ route, and serves the pages without one', async () => {
    for (const p of [
      '/api/overview',
      '/api/catalog?q=score',
      '/api/objects/featureViews/user_stats',
      '/api/serving',
      '/api/models',
      '/api/history',
    ]) {
      const res = await get(p, null);
      expect(res.status, p).toBe(401);
      expect(res.body.error.code).toBe('UNAUTHORIZED');
      expect((await get(p, 'wrong-key')).status).toBe(401);
    }
    const page = await get('/ui/', null);
    expect(page.status).toBe(200);
    expect(String(page.headers['content-security-policy'])).toContain("script-src 'self'");
    expect(page.body).toContain('<div id="app"></div>');
    const asset = /src="\/ui\/(assets\/[^"]+\.js)"/.exec(page.body)![1]!;
    const js = await get(`/ui/${asset}`, null);
    expect(js.status).toBe(200);
    expect(String(js.headers['cache-control'])).toContain('immutable');
  });

  it('searches names, features, descriptions and tags across kinds, with counts of all matches', async () => {
    const all = (await get('/api/catalog?q=')).body;
    expect(all.counts).toMatchObject({
      entities: 1,
      dataSources: 1,
      featureViews: 1,
      onDemandFeatureViews: 1,
      featureServices: 1,
      features: 4,
    });
    const score = (await get('/api/catalog?q=score')).body;
    // The exact name first: user_stats:score and score_ctx:score_doubled... 'score' matches the feature named score exactly.
    expect(score.items[0]).toMatchObject({ kind: 'features', name: 'score', view: 'user_stats', viewKind: 'featureViews' });
    expect(score.counts.featureServices).toBe(1);
    expect((await get('/api/catalog?q=gold')).body.items.map((e: any) => e.name)).toEqual(['user_stats']);
    expect((await get('/api/catalog?q=mean%20rating')).body.items.map((e: any) => `${e.view}:${e.name}`)).toEqual(['user_stats:score']);
    const bad = await get('/api/catalog?kind=tables');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'INVALID_CONSOLE_REQUEST' });
    expect(bad.body.error.message).toContain("'kind'");
  });

  it("shows a view's spec, where it is declared, what reads it, and snippets that really work", async () => {
    // Over real HTTP, so the snippet names this server's address.
    const d: any = await (
      await fetch(`${url}/api/objects/featureViews/user_stats`, { headers: { authorization: `Bearer ${KEY}` } })
    ).json();
    expect(d.site).toBe('features.ts:8');
    expect(d.spec.ttlSeconds).toBe(3650 * 86400);
    expect(d.spec.description).toContain(PAYLOAD);
    expect(d.related).toMatchObject({
      sources: ['user_stats_source'],
      entities: ['user'],
      onDemandViews: ['score_ctx'],
      services: ['ranker_v1'],
    });
    expect(d.related.models).toEqual([
      { name: 'ranker', version: 1, stage: 'production' },
      { name: 'ranker', version: 2, stage: 'candidate' },
    ]);
    expect(d.materialization.watermark).toBeTruthy();
    // The curl snippet, run as printed against this server, returns the features.
    const bin = path.join(repo.dir, 'bin');
    mkdirSync(bin, { recursive: true });
    const script = path.join(bin, 'snippet.sh');
    writeFileSync(script, `#!/usr/bin/env bash\nset -euo pipefail\n${d.snippets.curl}\n`);
    chmodSync(script, 0o755);
    // Asynchronously: the server answering it runs in this process.
    const { stdout } = await promisify(execFile)(script, { env: { ...process.env, FREC_API_KEY: KEY }, encoding: 'utf8', timeout: 20_000 });
    const out = JSON.parse(stdout);
    expect(out.metadata.feature_names).toEqual(['user_id', 'score', 'n_ratings', 'segment']);
    expect(out.results[1].statuses).toEqual(['PRESENT']);
    expect(d.snippets.curl).toContain(`${url}/get-online-features`);
    expect(d.snippets.typescript).toContain('features: [\n    "user_stats:score"');
    const svc = (await get('/api/objects/featureServices/ranker_v1')).body;
    expect(svc.snippets.featureService).toBe('ranker_v1');
    expect(svc.snippets.typescript).toContain('featureService: "ranker_v1"');
    const missing = await get('/api/objects/featureViews/nope');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('CONSOLE_NOT_FOUND');
  });

  it('computes the PSI of the skew report from the same data, on the report bins and on its own deciles', async () => {
    const last = DAYS.at(-1)!;
    const d = (await get('/api/features/user_stats/score/distribution')).body;
    expect(d.date).toBe(last);
    expect(d.binsFrom).toBe('report');
    const want = numericEntry('user_stats:score', repo.reference.score, repo.served[last]!.score);
    expect(d.report.psi).toBeCloseTo(want.psi, 12);
    expect(d.psi).toBeCloseTo(want.psi, 12);
    expect(d.psi).toBeGreaterThan(0.05);
    expect(d.bins.map((b: any) => b.label)).toEqual(want.bins.map((b) => b.label));
    expect(d.reference.nullShare).toBeCloseTo(want.nullShare.reference, 12);
    expect(d.served.nullShare).toBeCloseTo(want.nullShare.served, 12);
    expect(d.outOfRange).toBeCloseTo(want.outOfRange, 12);
    expect(d.drift.map((p: any) => p.date)).toEqual(DAYS);
    expect(d.drift[0].psi).toBeLessThan(d.drift[2].psi);

    // Without a report the console bins on DuckDB's deciles of the reference: the same edges as the JS quantiles.
    const { rm } = await import('node:fs/promises');
    await rm(path.join(repo.dir, 'data', 'monitoring', 'skew', `${last}.json`));
    const own = (await get(`/api/features/user_stats/score/distribution?date=${last}`)).body;
    expect(own.binsFrom).toBe('reference');
    expect(own.report).toBeNull();
    expect(own.psi).toBeCloseTo(want.psi, 9);
    const cat = (await get(`/api/features/user_stats/segment/distribution?date=${last}`)).body;
    const wantCat = categoricalEntry('user_stats:segment', repo.reference.segment, repo.served[last]!.segment);
    expect(cat.binsFrom).toBe('reference');
    expect(cat.bins.map((b: any) => b.label)).toEqual(wantCat.bins.map((b) => b.label));
    expect(cat.psi).toBeCloseTo(wantCat.psi, 12);
  });

  it('reports freshness from the registry and the online store', async () => {
    const f = (await get('/api/freshness')).body;
    const row = f.rows.find((r: any) => r.view === 'user_stats');
    expect(row.onlineRows).toBe(300);
    expect(row.status).toBe('ok');
    expect(row.lastInterval).toHaveLength(2);
    expect(Date.parse(row.newestEventTime)).toBe(Date.parse('2026-11-01T00:00:00Z') + (300 * 3 + 2) * 3_600_000);
  });

  it('marks a view stale once its newest value is older than its TTL', async () => {
    const { viewFreshness } = await import('../src/api/freshness.js');
    const data = await repo.store.registry.data({ fresh: true });
    const later = Date.parse('2040-01-01T00:00:00Z');
    const page = await viewFreshness(repo.store, data, { maxLag: 1000, offset: 0, limit: 10, now: later });
    const row = page.rows.find((r) => r.view === 'user_stats')!;
    expect(row.status).toBe('stale');
    expect(row.reasons[0]).toMatch(/older than the TTL \(\d+ s > 315360000 s\)/);
  });

  it('keeps the apply log: who applied what, when', async () => {
    const h = (await get('/api/history')).body;
    expect(h.applies).toHaveLength(1);
    expect(h.applies[0].changes.map((c: any) => `${c.type} ${c.kind} ${c.name}`)).toContain('add featureViews user_stats');
    expect(h.applies[0].user).toBeTruthy();
  });

  it('summarizes this server’s own metrics per endpoint, without the console’s requests', async () => {
    const endpoint = (s: any) => s.endpoints.find((e: any) => e.name === '/get-online-features') ?? { count: 0, rejected: 0 };
    const before = endpoint((await get('/api/serving')).body);
    for (let i = 0; i < 5; i++) {
      await server.app.inject({
        method: 'POST',
        url: '/get-online-features',
        headers: { authorization: `Bearer ${KEY}` },
        payload: { features: ['user_stats:score'], entities: { user_id: [i + 1] } },
      });
    }
    await server.app.inject({
      method: 'POST',
      url: '/get-online-features',
      headers: { authorization: `Bearer ${KEY}` },
      payload: { features: ['nope:x'], entities: { user_id: [1] } },
    });
    const s = (await get('/api/serving')).body;
    expect(s.sources).toEqual([{ name: 'feature-server', ok: true, error: null }]);
    const ep = endpoint(s);
    expect(ep).toMatchObject({ method: 'POST', count: before.count + 6, rejected: before.rejected + 1, serverErrors: 0 });
    // The window (the last minute of scrapes) holds at least these six, and no more than all of them.
    expect(ep.window.count).toBeGreaterThanOrEqual(6);
    expect(ep.window.count).toBeLessThanOrEqual(ep.count);
    expect(s.rate.length).toBeGreaterThan(0);
    expect(ep.p50Ms).toBeGreaterThan(0);
    expect(s.endpoints.some((e: any) => e.name.startsWith('/api'))).toBe(false);
  });

  it('never sends an internal error to the client', async () => {
    // A damaged feature-log file makes DuckDB fail: the response says only that it failed.
    const bad = path.join(repo.dir, 'data', 'monitoring', 'feature-log', `date=${DAYS[0]}`, 'broken.parquet');
    writeFileSync(bad, 'not parquet at all');
    const res = await get(`/api/features/user_stats/score/distribution?date=${DAYS[0]}`);
    expect(res.status).toBe(500);
    expect(res.body.error).toEqual({ code: 'INTERNAL', message: 'The console could not read this; see the server log.' });
    expect(JSON.stringify(res.body)).not.toContain(repo.dir);
  });
});
