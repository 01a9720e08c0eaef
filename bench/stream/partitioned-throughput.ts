import { seededRandom } from '@frec/core/spi';
/**
 * Partitioned stream processing: events/s of 1 and 2 `frec stream` worker processes sharing a
 * stream view's K partitions (leases, ADR 0090), each next to a raw floor measured in the same run:
 * 1 and 2 raw consumer processes (bench/stream/raw-consumer.ts: XREADGROUP + one pipelined SET per
 * event + XACK, no state, no aggregation) reading the same partitions, split between them the same way.
 * Each run publishes a backlog of N events (pipelined, by entity key) while the already running and
 * balanced consumers are paused, then resumes them; the rate is N over the time from the resume to
 * the last acknowledgement (leases last 30 s, so the pause moves no partition).
 *
 *   npx tsx bench/stream/partitioned-throughput.ts [events=60000] [partitions=4]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import {
  buildRepoContents,
  count,
  entity,
  FeatureStore,
  fileSource,
  lastN,
  loadRepoConfig,
  streamFeatureView,
  streamSource,
  sum,
} from '@frec/core';
import { partitionOf } from '@frec/core/spi';
import { deleteKeysWithPrefix } from '@frec/online/testing';
import { streamKeyOf } from '@frec/streaming/redis-streams';

const N = Number(process.argv[2] ?? 60_000);
const K = Number(process.argv[3] ?? 4);
const URL = process.env.FREC_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const USERS = 10_000;
const id = randomUUID().slice(0, 8);
const prefix = `frec-bench-${id}:`;
const dir = mkdtempSync(path.join(tmpdir(), 'frec-bench-part-'));
const redis = new Redis(URL);
const children: ChildProcess[] = [];
const root = path.resolve(import.meta.dirname, '../..');
const rand = seededRandom(9);
let seq = 0;

function events(n: number): Array<Record<string, string | number>> {
  const now = Date.now();
  return Array.from({ length: n }, () => ({
    user_id: 1 + Math.floor(rand() * USERS),
    item_id: Math.floor(rand() * 50_000),
    dwell: Math.round(rand() * 60_000) / 1000,
    seq: ++seq,
    ts: now,
  }));
}

/** Publishes n events to the K partition streams of `topic`, each to its user's partition, 5,000 per pipeline. */
async function publish(topic: string, n: number): Promise<void> {
  for (let i = 0; i < n; i += 5000) {
    const p = redis.pipeline();
    for (const e of events(Math.min(5000, n - i)))
      p.xadd(streamKeyOf(topic, partitionOf(String(e.user_id), K)), '*', ...Object.entries(e).flatMap(([k, v]) => [k, String(v)]));
    await p.exec();
  }
}

/** Events of a topic not yet acknowledged by the group, over all partitions (a missing group: the whole stream). */
async function behind(topic: string, group: string): Promise<number> {
  let n = 0;
  for (let p = 0; p < K; p++) {
    const key = streamKeyOf(topic, p);
    if (!(await redis.exists(key))) continue;
    const groups = (await redis.xinfo('GROUPS', key)) as unknown[][];
    const g = groups
      .map((x) => Object.fromEntries(Array.from({ length: x.length / 2 }, (_, i) => [String(x[2 * i]), x[2 * i + 1]])))
      .find((o) => o.name === group);
    n += g ? Number(g.pending) + Number(g.lag) : await redis.xlen(key);
  }
  return n;
}

async function waitUntil(f: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await f())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function stopAll(cs: ChildProcess[]): Promise<void> {
  await Promise.all(
    cs.map((c) => {
      if (c.exitCode !== null) return Promise.resolve();
      c.kill('SIGTERM');
      return new Promise((r) => c.once('exit', r));
    }),
  );
}

/** CPU seconds (user + system) used by a process and its descendants (tsx runs the script in a child), from /proc. */
function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    const own = (Number(fields[11]) + Number(fields[12])) / 100;
    const kids = readdirSync(`/proc/${pid}/task`).flatMap((t) =>
      readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number),
    );
    return own + kids.reduce((n, k) => n + cpuSeconds(k), 0);
  } catch {
    return 0;
  }
}

/**
 * Starts consumers and waits until they are ready, pauses them (SIGSTOP), publishes N events, resumes
 * them (SIGCONT) and times from the resume to the last acknowledgement: the producer is outside the
 * window. Returns events per wall second and per CPU second of the consumer processes.
 */
async function drain(topic: string, group: string, start: () => Promise<ChildProcess[]>): Promise<{ rate: number; perCpu: number }> {
  const cs = await start();
  for (const c of cs) c.kill('SIGSTOP');
  await publish(topic, N);
  const cpu0 = cs.reduce((t, c) => t + cpuSeconds(c.pid!), 0);
  const t0 = performance.now();
  for (const c of cs) c.kill('SIGCONT');
  await waitUntil(async () => (await behind(topic, group)) === 0, 600_000, 'the drain');
  const rate = N / ((performance.now() - t0) / 1000);
  const cpu = cs.reduce((t, c) => t + cpuSeconds(c.pid!), 0) - cpu0;
  await stopAll(cs);
  return { rate, perCpu: N / cpu };
}

/** `frec stream` workers; resolves once they share the K partitions evenly. */
async function frecWorkers(n: number, view: string): Promise<ChildProcess[]> {
  const owned = new Map<number, number>();
  const cs = Array.from({ length: n }, (_, i) => {
    const c = spawn(
      path.join(root, 'node_modules/.bin/frec'),
      [
        '-c',
        dir,
        'stream',
        '--views',
        view,
        '--consumer',
        `bench-${n}-${i}`,
        '--block-ms',
        '100',
        '--lease-ms',
        '3000',
        '--log-every',
        '3600',
        ...(process.env.FREC_BENCH_NO_OFFLINE ? ['--no-offline'] : []),
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    c.stderr!.on('data', (d) => {
      const m = [...String(d).matchAll(/partitions=([\d,-]+)/g)].at(-1);
      if (m) owned.set(i, m[1] === '-' ? 0 : m[1]!.split(',').length);
      if (/error=/.test(String(d))) process.stderr.write(String(d));
    });
    children.push(c);
    return c;
  });
  await waitUntil(async () => [...owned.values()].length === n && [...owned.values()].every((x) => x === K / n), 60_000, 'an even share');
  return cs;
}

/** Raw consumers, each reading its share of the partition streams (the same split as the workers'). */
async function rawConsumers(topic: string, group: string, n: number): Promise<ChildProcess[]> {
  const keys = Array.from({ length: K }, (_, p) => streamKeyOf(topic, p));
  for (const k of keys) await redis.xgroup('CREATE', k, group, '0', 'MKSTREAM').catch(() => undefined);
  return Array.from({ length: n }, (_, i) => {
    const share = keys.filter((_, p) => p % n === i).join(',');
    const c = spawn(
      path.join(root, 'node_modules/.bin/tsx'),
      [path.join(root, 'bench/stream/raw-consumer.ts'), URL, share, group, `${prefix}raw:`, `raw-${i}`],
      { stdio: ['ignore', 'ignore', 'inherit'], cwd: root },
    );
    children.push(c);
    return c;
  });
}

try {
  mkdirSync(path.join(dir, 'data'), { recursive: true });
  writeFileSync(
    path.join(dir, 'feature_store.yaml'),
    `project: pbench\nplugins: ['@frec/online', '@frec/offline', '@frec/streaming/redis-streams']\nregistry:\n  path: data/registry.json\n  cache_ttl_seconds: 0\nonline_store:\n  type: redis\n  connection_string: ${URL}\n  key_prefix: "${prefix}"\noffline_store:\n  type: duckdb\n`,
  );
  const user = entity({ name: 'user', joinKey: 'user_id', valueType: 'int64' });
  const rows = fileSource({ name: 'activity_rows', path: 'data/activity/**/*.parquet', timestampField: 'ts' });
  const sources = [1, 2].map((n) =>
    streamSource({ name: `events_${n}`, topic: `${prefix}events-${n}`, partitions: K, timestampField: 'ts', batchSource: rows }),
  );
  const views = sources.map((src, i) =>
    streamFeatureView({
      name: `activity_${i + 1}`,
      entities: [user],
      source: src,
      ttl: '30d',
      aggregations: [
        lastN('item_id', 10, { type: 'int64', name: 'last_10_items' }),
        count({ window: '1h' }),
        sum('dwell', { window: '24h' }),
      ],
    }),
  );
  const contents = buildRepoContents([user, rows, ...sources, ...views].map((object) => ({ object })));
  const store = await FeatureStore.open({ config: loadRepoConfig(dir), definitions: contents });
  await store.apply(contents, { validateSources: false });
  await store.close();

  // Each worker count gets its own view (topic and group), so both runs start from the same empty state.
  const frec1 = await drain(`${prefix}events-1`, 'frec:pbench:activity_1', () => frecWorkers(1, 'activity_1'));
  const frec2 = await drain(`${prefix}events-2`, 'frec:pbench:activity_2', () => frecWorkers(2, 'activity_2'));
  const raw1 = await drain(`${prefix}raw-1`, 'raw', () => rawConsumers(`${prefix}raw-1`, 'raw', 1));
  const raw2 = await drain(`${prefix}raw-2`, 'raw', () => rawConsumers(`${prefix}raw-2`, 'raw', 2));
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' / ');
  const r = (x: number) => Math.round(x).toLocaleString('en-US');

  console.log('\nRESULT');
  console.log(
    `node ${process.version}, ${new Date().toISOString().slice(0, 10)}, ${N} events, ${K} partitions, offline ${process.env.FREC_BENCH_NO_OFFLINE ? 'off' : 'on'}, load average ${load}`,
  );
  console.log('| | frec stream | raw floor | frec / raw |');
  console.log('|---|---|---|---|');
  console.log(`| 1 process, events/s | ${r(frec1.rate)} | ${r(raw1.rate)} | ${(frec1.rate / raw1.rate).toFixed(2)}x |`);
  console.log(`| 2 processes, events/s | ${r(frec2.rate)} | ${r(raw2.rate)} | ${(frec2.rate / raw2.rate).toFixed(2)}x |`);
  console.log(`| 2 / 1 processes | ${(frec2.rate / frec1.rate).toFixed(2)}x | ${(raw2.rate / raw1.rate).toFixed(2)}x | |`);
  console.log(`| 1 process, events per CPU s | ${r(frec1.perCpu)} | ${r(raw1.perCpu)} | ${(frec1.perCpu / raw1.perCpu).toFixed(2)}x |`);
  console.log(`| 2 processes, events per CPU s | ${r(frec2.perCpu)} | ${r(raw2.perCpu)} | ${(frec2.perCpu / raw2.perCpu).toFixed(2)}x |`);
} finally {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await deleteKeysWithPrefix(redis, prefix);
  await deleteKeysWithPrefix(redis, `{${prefix}`);
  redis.disconnect();
  rmSync(dir, { recursive: true, force: true });
}
