import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import {
  FeatureStore,
  Float32,
  Float64,
  Int64,
  buildRepoContents,
  entity,
  featureService,
  featureView,
  field,
  fileSource,
  onDemandFeatureView,
  parseRepoConfig,
  pushSource,
  requestSource,
  type RepoContents,
} from '@frec/core';
import { deleteKeysWithPrefix } from '@frec/online/testing';

/** A free loopback TCP port. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** The driver example's definitions (as in `frec init`), fed by a push source so /push works. */
export function driverDefinitions(dir: string): RepoContents {
  const driver = entity({ name: 'driver', joinKey: 'driver_id', valueType: Int64 });
  const batch = fileSource({
    name: 'driver_stats_batch',
    path: path.join(dir, 'data/pushed/driver_stats/**/*.parquet'),
    timestampField: 'event_timestamp',
  });
  const push = pushSource({ name: 'driver_stats_push', batchSource: batch });
  const stats = featureView({
    name: 'driver_hourly_stats',
    entities: [driver],
    ttl: '1d',
    source: push,
    schema: [field('conv_rate', Float32), field('acc_rate', Float32), field('avg_daily_trips', Int64)],
    online: true,
  });
  const vals = requestSource({ name: 'vals_to_add', schema: [field('val_to_add', Int64)] });
  const plus = onDemandFeatureView({
    name: 'transformed_conv_rate',
    sources: [stats, vals],
    schema: [field('conv_rate_plus_val1', Float64)],
    transform: (row) => ({ conv_rate_plus_val1: (row.conv_rate as number) + (row.val_to_add as number) }),
  });
  const svc = featureService({ name: 'driver_activity', features: [stats.select(['conv_rate', 'acc_rate'])] });
  return buildRepoContents([driver, batch, push, stats, vals, plus, svc].map((object) => ({ object })));
}

/** A temp repo on a Redis key prefix of its own, applied and loaded with driver rows 1001..1005. */
export interface DriverRepo {
  store: FeatureStore;
  dir: string;
  prefix: string;
  /** Event time of every stored row. */
  eventTime: Date;
  cleanup(): Promise<void>;
}

/** Builds a DriverRepo against the Redis at `redisUrl` (default the shared 127.0.0.1:6379); Redis commands may take 30 s (a loaded machine) unless `commandTimeoutMs` says otherwise. */
export async function driverRepo(opts: { redisUrl?: string; commandTimeoutMs?: number; serverYaml?: string } = {}): Promise<DriverRepo> {
  const dir = mkdtempSync(path.join(tmpdir(), 'frec-fs-'));
  const prefix = `frec-test-${randomUUID()}:`;
  const redisUrl = opts.redisUrl ?? 'redis://127.0.0.1:6379';
  const yaml = `project: fs_test
plugins: ['@frec/online', '@frec/offline', '@frec/streaming/redis-streams']
registry:
  path: ${path.join(dir, 'registry.json')}
  cache_ttl_seconds: 60
online_store:
  type: redis
  connection_string: ${redisUrl}
  key_prefix: '${prefix}'
  connect_timeout_ms: 500
  command_timeout_ms: ${opts.commandTimeoutMs ?? 30000}
${opts.serverYaml ?? ''}`;
  const config = parseRepoConfig(yaml, { file: path.join(dir, 'feature_store.yaml'), repoPath: dir });
  const contents = driverDefinitions(dir);
  const store = await FeatureStore.open({ config, definitions: contents });
  await store.apply(contents, { validateSources: false });
  const eventTime = new Date(Date.now() - 60_000);
  eventTime.setMilliseconds(0);
  await store.writeToOnlineStore(
    'driver_hourly_stats',
    [1001, 1002, 1003, 1004, 1005].map((id, i) => ({
      driver_id: id,
      conv_rate: 0.25 * (i + 1) - 0.125,
      acc_rate: 0.5,
      avg_daily_trips: 100 + i,
      event_timestamp: eventTime,
    })),
  );
  return {
    store,
    dir,
    prefix,
    eventTime,
    async cleanup() {
      await store.close().catch(() => undefined);
      await deleteKeys(redisUrl, prefix).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Deletes every key under a test prefix (never FLUSHALL: the Redis is shared). */
export async function deleteKeys(redisUrl: string, prefix: string): Promise<void> {
  const r = new Redis(redisUrl, { lazyConnect: true, connectTimeout: 500, maxRetriesPerRequest: 0, retryStrategy: () => null });
  r.on('error', () => undefined);
  try {
    await r.connect();
    await deleteKeysWithPrefix(r, prefix);
  } finally {
    r.disconnect();
  }
}

/** A private redis-server on a free loopback port, for tests that pause or kill it. */
export interface PrivateRedis {
  url: string;
  port: number;
  child: ChildProcess;
  kill(): Promise<void>;
}

/** Starts `redis-server` with no persistence and waits until it answers PING. */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  const url = `redis://127.0.0.1:${port}`;
  // Generous: redis-server starts in milliseconds, but a loaded machine may not schedule it for a while.
  const deadline = Date.now() + 120_000;
  for (;;) {
    const r = new Redis(url, { lazyConnect: true, connectTimeout: 200, maxRetriesPerRequest: 0, retryStrategy: () => null });
    r.on('error', () => undefined);
    try {
      await r.connect();
      await r.ping();
      r.disconnect();
      break;
    } catch {
      r.disconnect();
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`redis-server did not start on port ${port}`);
      await new Promise((res) => setTimeout(res, 50));
    }
  }
  return {
    url,
    port,
    child,
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((res) => child.once('exit', res));
      child.kill('SIGKILL');
      await exited;
    },
  };
}
