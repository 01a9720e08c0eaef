import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildRepoContents,
  count,
  createStreamBroker,
  entity,
  FeatureStore,
  fileSource,
  lastN,
  loadRepoConfig,
  StreamWorker,
  streamFeatureView,
  streamSource,
} from '@frec/core';
import type { FeatureViewSpec, StreamBroker } from '@frec/core/spi';
import { deleteKeysWithPrefix } from '@frec/online/testing';
import { publishByKey } from '@frec/streaming';
import { STREAM_METRICS, serveMetrics, streamMetrics } from '../src/commands/stream-metrics.js';
import { FREC_BIN } from './run-frec.js';

const REDIS_URL = process.env.FREC_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const id = randomUUID().slice(0, 8);
const prefix = `frec-test-${id}:`;
const dir = mkdtempSync(path.join(tmpdir(), 'frec-stream-metrics-'));

/** The value of one sample in Prometheus text, or undefined when the series is absent. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const want = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',');
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${want}}`));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
}

describe('frec stream metrics', () => {
  let store: FeatureStore;
  let broker: StreamBroker;
  let partitioned: FeatureViewSpec;
  let single: FeatureViewSpec;
  const events = Array.from({ length: 30 }, (_, i) => ({ user_id: 1 + (i % 9), item_id: i, ts: Date.now() - 86_400_000 + i * 1000 }));
  beforeAll(async () => {
    mkdirSync(path.join(dir, 'data'), { recursive: true });
    writeFileSync(
      path.join(dir, 'feature_store.yaml'),
      `project: metrics\nplugins: ['@frec/online', '@frec/offline', '@frec/streaming/redis-streams']\nregistry:\n  path: data/registry.json\n  cache_ttl_seconds: 0\nonline_store:\n  type: redis\n  connection_string: ${REDIS_URL}\n  key_prefix: "${prefix}"\n`,
    );
    const user = entity({ name: 'user', joinKey: 'user_id', valueType: 'int64' });
    const rows = fileSource({ name: 'rows', path: 'data/rows/**/*.parquet', timestampField: 'ts' });
    const src = streamSource({ name: 'clicks', topic: `${prefix}clicks`, partitions: 3, timestampField: 'ts', batchSource: rows });
    const src1 = streamSource({ name: 'views', topic: `${prefix}views`, timestampField: 'ts', batchSource: rows });
    const aggs = [lastN('item_id', 3, { type: 'int64', name: 'last_items' }), count({ window: '7d' })] as const;
    const p = streamFeatureView({ name: 'clicks_by_user', entities: [user], source: src, ttl: '30d', offline: false, aggregations: aggs });
    const s = streamFeatureView({ name: 'views_by_user', entities: [user], source: src1, ttl: '30d', offline: false, aggregations: aggs });
    const contents = buildRepoContents([user, rows, src, src1, p, s].map((object) => ({ object })));
    store = await FeatureStore.open({ config: loadRepoConfig(dir), definitions: contents });
    await store.apply(contents, { validateSources: false });
    broker = await createStreamBroker(store.config);
    partitioned = p.spec;
    single = s.spec;
  });
  afterAll(async () => {
    await broker?.close();
    await store?.close();
    const r = new Redis(REDIS_URL);
    await deleteKeysWithPrefix(r, prefix);
    await deleteKeysWithPrefix(r, `{${prefix}`);
    r.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports a backlog no worker has read: lag in messages and in seconds since its oldest append', async () => {
    const before = Date.now();
    await broker.publish(single.source.type === 'stream' ? single.source.topic : '', events.slice(0, 5));
    const worker = new StreamWorker(store, broker, [single, partitioned]);
    const text = await streamMetrics('metrics', [single, partitioned], worker, broker).registry.metrics();
    expect(sample(text, STREAM_METRICS.lagMessages, { view: 'views_by_user', partition: '0' })).toBe(5);
    const lagSeconds = sample(text, STREAM_METRICS.lagSeconds, { view: 'views_by_user' })!;
    expect(lagSeconds).toBeGreaterThanOrEqual(0);
    expect(lagSeconds).toBeLessThanOrEqual((Date.now() - before) / 1000 + 0.05);
    expect(sample(text, STREAM_METRICS.partitionsOwned, { view: 'clicks_by_user' }), 'a worker that has not started owns nothing').toBe(0);
    expect(sample(text, STREAM_METRICS.lagMessages, { view: 'clicks_by_user', partition: '0' })).toBeUndefined();
    expect(sample(text, STREAM_METRICS.events, { view: 'views_by_user', outcome: 'applied' })).toBe(0);
    await worker.close();
  });

  it('serves /metrics from `frec stream --metrics-port`, and drains on SIGTERM', async () => {
    await publishByKey(broker, partitioned, events);
    await broker.publish(`${prefix}clicks`, [{ user_id: 'x', ts: 'never' }], { partition: 1 });
    const child = spawn(
      FREC_BIN,
      [
        '-c',
        dir,
        'stream',
        '--views',
        'clicks_by_user',
        '--metrics-port',
        '0',
        '--metrics-host',
        '127.0.0.1',
        '--lease-ms',
        '900',
        '--block-ms',
        '50',
      ],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      let url = '';
      let text = '';
      const end = Date.now() + 40_000;
      for (;;) {
        url ||= /metrics on (http:\/\/\S+)/.exec(stderr)?.[1] ?? '';
        if (url) {
          text = await (await fetch(url)).text();
          const done =
            sample(text, STREAM_METRICS.events, { view: 'clicks_by_user', outcome: 'applied' }) === 30 &&
            sample(text, STREAM_METRICS.partitionsOwned, { view: 'clicks_by_user' }) === 3 &&
            [0, 1, 2].every((p) => sample(text, STREAM_METRICS.lagMessages, { view: 'clicks_by_user', partition: String(p) }) === 0);
          if (done) break;
        }
        if (Date.now() > end) throw new Error(`metrics never showed the drained stream; stderr: ${stderr}; last scrape: ${text}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(sample(text, STREAM_METRICS.events, { view: 'clicks_by_user', outcome: 'invalid' })).toBe(1);
      expect(sample(text, STREAM_METRICS.events, { view: 'clicks_by_user', outcome: 'replayed' })).toBe(0);
      // Caught up: the time since the newest applied event.
      const newest = Math.max(...events.map((e) => e.ts));
      expect(sample(text, STREAM_METRICS.lagSeconds, { view: 'clicks_by_user' })).toBeCloseTo((Date.now() - newest) / 1000, -1);
      expect((await fetch(url.replace('/metrics', '/nope'))).status).toBe(404);
      // The probes the stream-worker Deployment points at this port.
      expect((await fetch(url.replace('/metrics', '/health'))).status).toBe(200);
      expect((await fetch(url.replace('/metrics', '/ready'))).status).toBe(200);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(stderr).toContain('SIGTERM: draining');
      const leases = broker.leases('frec:metrics:clicks_by_user', 900);
      expect(await leases.owners(3), 'partitions released on the way out').toEqual([null, null, null]);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('answers /ready with 503 once the worker stops consuming, while /health stays 200', async () => {
    let consuming = true;
    const w = new StreamWorker(store, broker, [single]);
    const server = await serveMetrics(streamMetrics('metrics', [single], w, broker).registry, 0, '127.0.0.1', () => consuming);
    const at = (route: string) => fetch(`http://127.0.0.1:${server.port}${route}`).then((r) => r.status);
    try {
      expect(await at('/ready')).toBe(200);
      consuming = false;
      expect(await at('/ready')).toBe(503);
      expect(await at('/health')).toBe(200);
      expect(await at('/metrics')).toBe(200);
    } finally {
      await server.close();
      await w.close();
    }
  });
});
