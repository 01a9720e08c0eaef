import { seededRandom } from '@frec/core/spi';
/**
 * Stream features end to end: a `frec stream` worker process consumes Redis Streams and keeps a
 * stream view (last 10 items, last seq, count 1h, sum 24h, session length/duration) online and
 * offline. Measures (1) sustained events/s draining a backlog and (2) freshness, XADD to visible
 * in getOnlineFeatures, p50/p99 at a steady produce rate; each next to a raw baseline (XREADGROUP +
 * pipelined SET + XACK, no aggregation) measured in the same run.
 *
 *   npx tsx bench/stream/stream-freshness.ts [rate=5000] [seconds=30] [backlog=100000] [users=10000] [busy]
 *
 * `busy` runs a second process spinning on the CPU for the whole run (a loaded machine).
 * FREC_BENCH_WORKER_NODE_ARGS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/p`) is passed to the worker's node,
 * FREC_BENCH_WORKER_ARGS (e.g. `--max-batch-ms 50`) to `frec stream`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
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
  sessionDuration,
  sessionLength,
  streamFeatureView,
  streamSource,
  sum,
} from '@frec/core';
import { deleteKeysWithPrefix } from '@frec/online/testing';

const RATE = Number(process.argv[2] ?? 5000);
const SECONDS = Number(process.argv[3] ?? 30);
const BACKLOG = Number(process.argv[4] ?? 100_000);
const URL = process.env.FREC_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const USERS = Number(process.argv[5] ?? 10_000);
const BUSY = process.argv[6] === 'busy';
const id = randomUUID().slice(0, 8);
const prefix = `frec-bench-${id}:`;
const topic = `${prefix}events`;
const dir = mkdtempSync(path.join(tmpdir(), 'frec-bench-stream-'));
const redis = new Redis(URL);
const children: ChildProcess[] = [];
const root = path.resolve(import.meta.dirname, '../..');

const rng = seededRandom;
const rand = rng(5);
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
async function xadd(t: string, evs: Array<Record<string, string | number>>): Promise<void> {
  const p = redis.pipeline();
  for (const e of evs) p.xadd(t, '*', ...Object.entries(e).flatMap(([k, v]) => [k, String(v)]));
  await p.exec();
}
const pct = (xs: number[], q: number) => xs[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;

/** Events not yet acknowledged by the group (undelivered + pending); the whole stream before the group exists. */
async function behind(t: string, group: string): Promise<number> {
  const groups = (await redis.xinfo('GROUPS', t)) as unknown[][];
  for (const g of groups) {
    const o: Record<string, unknown> = {};
    for (let i = 0; i < g.length; i += 2) o[String(g[i])] = g[i + 1];
    if (o.name === group) return Number(o.pending) + Number(o.lag);
  }
  return redis.xlen(t);
}
async function lagZero(t: string, group: string): Promise<boolean> {
  return (await behind(t, group)) === 0;
}
/** User + system CPU seconds of a process and its descendants (Linux /proc; tsx runs the raw consumer in a child). */
function treeCpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    let s = (Number(fields[11]) + Number(fields[12])) / 100;
    const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    for (const k of kids ? kids.split(' ') : []) s += treeCpuSeconds(Number(k));
    return s;
  } catch {
    return Number.NaN;
  }
}
/**
 * Drain rate of a consumer process over a backlog, timed from its first acknowledged event (process
 * start excluded), and the consumer's CPU per event over the same span: on a loaded shared machine
 * the rate depends on the CPU the process was granted, the CPU per event much less.
 */
async function drainRate(t: string, group: string, start: () => ChildProcess): Promise<{ rate: number; cpuUsPerEvent: number }> {
  const child = start();
  const total = await redis.xlen(t);
  let left = total;
  await waitUntil(async () => (left = await behind(t, group)) < total, 120_000);
  const t0 = performance.now();
  const cpu0 = treeCpuSeconds(child.pid);
  await waitUntil(() => lagZero(t, group), 600_000);
  const rate = left / ((performance.now() - t0) / 1000);
  const cpuUsPerEvent = ((treeCpuSeconds(child.pid) - cpu0) * 1e6) / left;
  await stopChild(child);
  return { rate, cpuUsPerEvent };
}
async function waitUntil(f: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await f())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
function spawnTsx(args: string[]): ChildProcess {
  const c = spawn(path.join(root, 'node_modules/.bin/tsx'), args, { stdio: ['ignore', 'ignore', 'inherit'], cwd: root });
  children.push(c);
  return c;
}
function spawnWorker(extra: string[] = []): ChildProcess {
  const nodeArgs = (process.env.FREC_BENCH_WORKER_NODE_ARGS ?? '').split(' ').filter((a) => a.length > 0);
  const c = spawn(
    process.execPath,
    [
      ...nodeArgs,
      path.join(root, 'node_modules/.bin/frec'),
      '-c',
      dir,
      'stream',
      '--consumer',
      'bench',
      '--block-ms',
      '100',
      '--log-every',
      '3600',
      ...(process.env.FREC_BENCH_NO_OFFLINE ? ['--no-offline'] : []),
      ...(process.env.FREC_BENCH_WORKER_ARGS ?? '').split(' ').filter((a) => a.length > 0),
      ...extra,
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  children.push(c);
  return c;
}
async function stopChild(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null) return;
  c.kill('SIGTERM');
  await new Promise((r) => c.once('exit', r));
}

/** Produces RATE events/s for SECONDS and probes freshness: XADD of a probed event to `visible(user, seq)` true. */
async function steadyRun(
  t: string,
  visible: (user: number, s: number) => Promise<boolean>,
): Promise<{ sent: number; seconds: number; lat: number[] }> {
  const lat: number[] = [];
  const probes: Array<Promise<void>> = [];
  let probing = 0;
  const t0 = performance.now();
  let sent = 0;
  const tickMs = 10;
  let nextTick = t0;
  let lastProbe = 0;
  while (performance.now() - t0 < SECONDS * 1000) {
    const due = Math.floor(((performance.now() - t0) / 1000) * RATE) - sent;
    if (due > 0) {
      const evs = events(due);
      // A few probes at a time, polling every 10 ms: the measurement must not load the 2 cores it measures.
      const probe = performance.now() - lastProbe >= 200 && probing < 4 ? evs[evs.length - 1]! : undefined;
      const start = performance.now();
      await xadd(t, evs);
      sent += due;
      if (probe) {
        lastProbe = start;
        probing++;
        probes.push(
          (async () => {
            const deadline = start + 10_000;
            while (!(await visible(Number(probe.user_id), Number(probe.seq)))) {
              if (performance.now() > deadline) {
                lat.push(10_000);
                return;
              }
              // (a probe that never sees its event counts as 10 s)
              await new Promise((r) => setTimeout(r, 10));
            }
            lat.push(performance.now() - start);
          })().finally(() => probing--),
        );
      }
    }
    nextTick += tickMs;
    await new Promise((r) => setTimeout(r, Math.max(0, nextTick - performance.now())));
  }
  const seconds = (performance.now() - t0) / 1000;
  await Promise.all(probes);
  lat.sort((a, b) => a - b);
  return { sent, seconds, lat };
}

try {
  // The busy second process: a spinning loop at the same priority as the worker, for the whole run.
  if (BUSY) children.push(spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
  mkdirSync(path.join(dir, 'data'), { recursive: true });
  writeFileSync(
    path.join(dir, 'feature_store.yaml'),
    `project: sbench\nplugins: ['@frec/online', '@frec/offline', '@frec/streaming/redis-streams']\nregistry:\n  path: data/registry.json\n  cache_ttl_seconds: 0\nonline_store:\n  type: redis\n  connection_string: ${URL}\n  key_prefix: "${prefix}"\noffline_store:\n  type: duckdb\n`,
  );
  const user = entity({ name: 'user', joinKey: 'user_id', valueType: 'int64' });
  const src = streamSource({
    name: 'events',
    topic,
    timestampField: 'ts',
    batchSource: fileSource({ name: 'activity_rows', path: 'data/activity/**/*.parquet', timestampField: 'ts' }),
  });
  const view = streamFeatureView({
    name: 'activity',
    entities: [user],
    source: src,
    ttl: '30d',
    aggregations: [
      lastN('item_id', 10, { type: 'int64', name: 'last_10_items' }),
      lastN('seq', 1, { type: 'int64', name: 'last_seq' }),
      count({ window: '1h' }),
      sum('dwell', { window: '24h' }),
      sessionLength({ gap: '30m' }),
      sessionDuration({ gap: '30m' }),
    ],
  });
  const contents = buildRepoContents([user, src, view].map((object) => ({ object })));
  const store = await FeatureStore.open({ config: loadRepoConfig(dir), definitions: contents });
  await store.apply(contents, { validateSources: false });
  const group = 'frec:sbench:activity';

  // 1. Sustained throughput: drain a backlog.
  for (let i = 0; i < BACKLOG; i += 5000) await xadd(topic, events(Math.min(5000, BACKLOG - i)));
  const { rate: frecDrain, cpuUsPerEvent: frecCpu } = await drainRate(topic, group, () => spawnWorker());
  console.log(`frec worker drained ${BACKLOG} events at ${Math.round(frecDrain)} events/s, ${frecCpu.toFixed(1)} µs CPU per event`);
  const rawTopic = `${prefix}raw-events`;
  for (let i = 0; i < BACKLOG; i += 5000) await xadd(rawTopic, events(Math.min(5000, BACKLOG - i)));
  const { rate: rawDrainRate, cpuUsPerEvent: rawCpu } = await drainRate(rawTopic, 'raw', () =>
    spawnTsx([path.join(root, 'bench/stream/raw-consumer.ts'), URL, rawTopic, 'raw', `${prefix}raw:`]),
  );
  console.log(`raw consumer drained ${BACKLOG} events at ${Math.round(rawDrainRate)} events/s, ${rawCpu.toFixed(1)} µs CPU per event`);

  // 2. Freshness at RATE events/s: frec worker + getOnlineFeatures vs raw consumer + GET.
  const worker = spawnWorker();
  // Warm up: the worker is consuming once a first event has gone through.
  await xadd(topic, events(1));
  await waitUntil(() => lagZero(topic, group), 60_000);
  const frec = await steadyRun(topic, async (u, s) => {
    const res = await store.getOnlineFeatures({ features: ['activity:last_seq'], entityRows: [{ user_id: u }] });
    const v = res.toRows()[0]!.last_seq as number[] | null;
    return !!v && v[0]! >= s;
  });
  await waitUntil(() => lagZero(topic, group), 120_000);
  await stopChild(worker);
  console.log(
    `frec: sent ${frec.sent} in ${frec.seconds.toFixed(1)}s (${Math.round(frec.sent / frec.seconds)}/s); freshness p50 ${pct(frec.lat, 0.5).toFixed(0)} ms, p99 ${pct(frec.lat, 0.99).toFixed(0)} ms, max ${frec.lat.at(-1)!.toFixed(0)} ms over ${frec.lat.length} probes`,
  );
  const rawFreshTopic = `${prefix}raw-fresh`;
  const rawWorker = spawnTsx([path.join(root, 'bench/stream/raw-consumer.ts'), URL, rawFreshTopic, 'raw', `${prefix}rawf:`]);
  await xadd(rawFreshTopic, events(1));
  await waitUntil(async () => (await redis.exists(rawFreshTopic)) === 1 && lagZero(rawFreshTopic, 'raw'), 60_000);
  const raw = await steadyRun(rawFreshTopic, async (u, s) => Number((await redis.get(`${prefix}rawf:${u}`)) ?? -1) >= s);
  await stopChild(rawWorker);
  console.log(
    `raw: sent ${raw.sent} in ${raw.seconds.toFixed(1)}s; freshness p50 ${pct(raw.lat, 0.5).toFixed(0)} ms, p99 ${pct(raw.lat, 0.99).toFixed(0)} ms`,
  );
  const fresh = await store.freshness(['activity']);
  console.log(`freshness(): ${JSON.stringify(fresh[0])}`);
  await store.close();

  console.log('\nRESULT');
  console.log(
    `| machine | ${os.cpus().length} cores, node ${process.version}, load avg ${os.loadavg()[0]!.toFixed(1)}, ${new Date().toISOString()}, ${USERS} users${BUSY ? ', busy second process' : ''} |`,
  );
  console.log(`| sustained drain, frec worker (online+offline) | ${Math.round(frecDrain)} events/s |`);
  console.log(`| sustained drain, raw XREADGROUP+SET+XACK | ${Math.round(rawDrainRate)} events/s |`);
  console.log(`| ratio | ${(frecDrain / rawDrainRate).toFixed(2)}x |`);
  console.log(
    `| consumer CPU per event, frec / raw | ${frecCpu.toFixed(1)} / ${rawCpu.toFixed(1)} µs = ${(frecCpu / rawCpu).toFixed(2)}x |`,
  );
  console.log(
    `| freshness at ${RATE}/s, frec (XADD -> getOnlineFeatures) | p50 ${pct(frec.lat, 0.5).toFixed(0)} ms, p99 ${pct(frec.lat, 0.99).toFixed(0)} ms |`,
  );
  console.log(
    `| freshness at ${RATE}/s, raw (XADD -> GET) | p50 ${pct(raw.lat, 0.5).toFixed(0)} ms, p99 ${pct(raw.lat, 0.99).toFixed(0)} ms |`,
  );
  console.log(`| p99 ratio frec / raw | ${(pct(frec.lat, 0.99) / pct(raw.lat, 0.99)).toFixed(1)}x |`);
} finally {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await deleteKeysWithPrefix(redis, prefix);
  redis.disconnect();
  rmSync(dir, { recursive: true, force: true });
}
