/**
 * Capacity inputs and the check of the model (docs/capacity.md), in one command:
 *
 *   npx tsx bench/capacity/run.ts [--quick] [--json out.json]
 *
 * 1. A private redis-server: StreamRec's feature repo materialized into it under a fresh prefix
 *    (rows/s), MEMORY USAGE per user and per item, Redis CPU per recommender lookup (raw MGET floor).
 * 2. One recommender process (bench/capacity/recommender-child.ts) on that Redis: paced sweep for
 *    the highest rate at p95 < 50 ms and < 200 ms, and its CPU per request.
 * 3. Stream events per worker CPU second (bench/stream/partitioned-throughput.ts) and
 *    materialization rows/s at scale (bench/materialize/materialize-redis.ts), each on the same Redis.
 * 4. The model's fleet for 12M and 50M monthly users (model.ts).
 * 5. The simulation: a 3-master Redis Cluster (6 redis-server processes, 1 replica each), 2
 *    recommender processes behind a round robin; measured rate at p95 < 200 ms against the model's
 *    prediction for that size, and the masters' CPU per request against the model's.
 * Needs trained models: `npm run -w examples/streamrec train -- --promote`. Every figure carries
 * the 1-minute load average when it was taken.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { format } from 'prettier';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import { startRedis, startRedisCluster } from '../../packages/online/test/helpers/redis-servers.js';
import { closedRun, idleCores, load1, marginalCpuMs, pacedRun, sweep, type PacedResult } from './load.js';
import {
  DEFAULT_ASSUMPTIONS,
  perCoreRate,
  predictThroughput,
  redisCpuUsPerClusterLookup,
  sizeFleet,
  type Measured,
  type MeasuredInputs,
} from './model.js';
import { measureRedisInputs, redisCpuSeconds } from './redis-inputs.js';
import { fleetTable, inputsTable } from './doc-tables.js';
import { onlineUserFeatures } from '../../examples/streamrec/src/serve/online-user-features.js';

const quick = process.argv.includes('--quick');
const jsonOut = process.argv.includes('--json') ? process.argv[process.argv.indexOf('--json') + 1] : undefined;
const root = path.resolve(import.meta.dirname, '../..');
const children: ChildProcess[] = [];
const stops: Array<() => Promise<void>> = [];
process.on('exit', () => children.forEach((c) => c.exitCode === null && c.kill('SIGKILL')));
const f = (x: number, d = 0): string => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const m = (x: Measured, d = 0): string => `${f(x.value, d)} (load ${x.load})`;
const log = (s: string): void => console.log(s);

/** Starts one recommender process and waits for its JSON line. */
async function recommender(env: Record<string, string>): Promise<{ url: string; pid: number; users: number; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'recommender-child.ts')], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
    cwd: root,
  });
  children.push(child);
  const info = await new Promise<{ url: string; pid: number; users: number }>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (l) => l.startsWith('{') && resolve(JSON.parse(l)));
    child.once('exit', (code) => reject(new Error(`recommender exited with ${code}`)));
  });
  return { ...info, child };
}

async function stopChild(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  const exited = new Promise((r) => c.once('exit', r));
  c.kill('SIGTERM');
  await exited;
}

/** Runs a bench script as a child and returns its stdout. */
async function benchScript(rel: string, args: string[], env: Record<string, string>): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, rel), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
    cwd: root,
  });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += String(d)));
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  if (code !== 0) throw new Error(`${rel} exited with ${code}`);
  return out;
}

const tableNumber = (out: string, row: RegExp): number => {
  const line = out.split('\n').find((l) => row.test(l));
  if (!line) throw new Error(`no row ${row} in:\n${out}`);
  return Number(line.split('|')[2]!.replace(/[^0-9.]/g, ''));
};

/** Cores the load generator (this process), the recommenders and Redis used over a run: where the machine's share went. */
function coresOf(r: PacedResult, gen0: NodeJS.CpuUsage, redisCpu: number): { total: number; text: string } {
  const g = process.cpuUsage(gen0);
  const gen = (g.user + g.system) / 1e6 / r.elapsed;
  const rec = r.cpuSeconds / r.elapsed;
  const red = redisCpu / r.elapsed;
  return {
    total: gen + rec + red,
    text: `load generator ${f(gen, 2)} + recommenders ${f(rec, 2)} + Redis ${f(red, 2)} = ${f(gen + rec + red, 2)}`,
  };
}

let userSeed = 12345;
/** Bodies for a seeded sequence of MovieLens users (1..users). */
const bodyFor = (users: number) => (): string => {
  userSeed = (Math.imul(userSeed, 1664525) + 1013904223) >>> 0;
  return JSON.stringify({ userId: 1 + (userSeed % users), count: 20, context: { device: 'tv' } });
};
const runLine = (label: string) => (r: PacedResult) =>
  log(
    `  ${label} offered ${String(r.offered).padStart(5)}/s  achieved ${f(r.rps).padStart(5)}/s  p50 ${f(r.p50, 1)}  p95 ${f(r.p95, 1)}  p99 ${f(r.p99, 1)} ms  errors ${r.errors}  CPU ${f((r.cpuSeconds * 1000) / Math.max(1, r.total), 2)} ms/req  load ${load1()}`,
  );
const seconds = quick ? 3 : 5;
const satRequests = quick ? 300 : 800;

try {
  log(`capacity inputs, node ${process.version}, ${new Date().toISOString()}, load ${load1()}`);
  // 1. Redis: memory, materialization, lookup cost.
  const single = await startRedis();
  stops.push(() => single.stop());
  const r = await measureRedisInputs(single.url, { lookups: quick ? 5000 : 20000, concurrency: 16, sample: quick ? 300 : 2000 });
  log(`\n[redis] StreamRec feature repo materialized under ${r.prefix}: ${f(r.rows)} rows in ${f(r.materializeSeconds, 1)} s`);
  for (const [v, s] of Object.entries(r.perView))
    log(`  ${v.padEnd(13)} ${f(s.keys).padStart(7)} keys, MEMORY USAGE mean ${f(s.meanBytes, 1)} B over ${s.sampled}`);
  log(`  bytes per user ${m(r.bytesPerUser)}, per item ${m(r.bytesPerItem)}; used_memory grew ${f(r.usedMemoryDeltaBytes)} B`);
  log(
    `  lookup (getOnlineFeatures, 1 user, 2 rows): Redis CPU ${m(r.redisCpuUsPerLookup, 2)} us, client ${m(r.lookupsPerSecondClient)}/s;` +
      ` raw MGET of the same keys ${m(r.redisCpuUsPerRawMget, 2)} us (${m(r.rawMgetsPerSecondClient)}/s), ratio ${f(r.redisCpuUsPerLookup.value / r.redisCpuUsPerRawMget.value, 2)}x;` +
      ` one-row lookup (single-key MGET) ${m(r.redisCpuUsPerKeyRead, 2)} us`,
  );
  log(`  => one Redis core serves ${f(1e6 / r.redisCpuUsPerLookup.value)} lookups/s on one shard (CPU-bound ceiling)`);

  // 2. One recommender process on that Redis.
  log(`\n[recommender] 1 process, paced sweep (${seconds} s per rate, 32 connections)`);
  const one = await recommender({ CAPACITY_REDIS: single.url, CAPACITY_KEY_PREFIX: `${r.prefix}rec:`, CAPACITY_SEED: '1' });
  await pacedRun([one.url], { rate: 20, seconds: 3, connectionsPerTarget: 32, body: bodyFor(one.users) }); // warm-up: JIT, connections
  const idle1 = await idleCores([one.pid], 5000);
  const singleClient = new Redis(single.url);
  const parts0 = { gen: process.cpuUsage(), redis: await redisCpuSeconds(singleClient) };
  const sat1 = await closedRun([one.url], { perTarget: 4, requests: satRequests, body: bodyFor(one.users), watchPids: [one.pid] });
  const sat1Cores = coresOf(sat1, parts0.gen, (await redisCpuSeconds(singleClient)) - parts0.redis);
  singleClient.disconnect();
  const sat1Load = load1();
  log(`  cores this run's processes got: ${sat1Cores.text}`);
  log(
    `  closed loop, 4 in flight, ${satRequests} requests: ${f(sat1.rps, 1)} req/s, p50 ${f(sat1.p50, 1)} p95 ${f(sat1.p95, 1)} ms, errors ${sat1.errors}, CPU ${f(marginalCpuMs([sat1], idle1), 2)} ms/request (load ${sat1Load})`,
  );
  const s1 = await sweep([one.url], {
    start: 5,
    factor: 1.35,
    seconds,
    body: bodyFor(one.users),
    watchPids: [one.pid],
    log: runLine('1 proc'),
  });
  await stopChild(one.child);
  if (!s1.under200) throw new Error('the recommender held no rate under p95 200 ms');
  // CPU per request from the saturated run and the sweep together, the processes' idle burn taken off.
  const cpuMs = marginalCpuMs([sat1, ...s1.runs], idle1);
  log(`  idle: ${f(idle1, 3)} cores; marginal CPU per request ${f(cpuMs, 2)} ms (load ${load1()})`);

  // 3. Stream and materialization benches on the same private Redis.
  log('\n[stream] bench/stream/partitioned-throughput.ts');
  const streamLoad = load1();
  const streamOut = await benchScript('bench/stream/partitioned-throughput.ts', [quick ? '10000' : '20000', '2'], {
    FREC_BENCH_REDIS_URL: single.url,
  });
  const eventsPerCpu = tableNumber(streamOut, /^\| 1 process, events per CPU s/);
  const eventsPerS = tableNumber(streamOut, /^\| 1 process, events\/s/);
  log(`  1 worker: ${f(eventsPerS)} events/s, ${f(eventsPerCpu)} events per CPU s (load ${streamLoad} -> ${load1()})`);
  log('\n[materialize] bench/materialize/materialize-redis.ts');
  const matLoad = load1();
  const matOut = await benchScript('bench/materialize/materialize-redis.ts', quick ? ['100000', '20000'] : ['300000', '50000'], {
    FREC_BENCH_REDIS_URL: single.url,
  });
  const matRate = tableNumber(matOut, /^\| frec materialize/);
  const matPerCpu = Number(/-> (\d+) rows per CPU s/.exec(matOut.split('\n').find((l) => l.startsWith('| CPU s, frec')) ?? '')?.[1] ?? NaN);
  const rawRate = tableNumber(matOut, /^\| raw pipelined SET/);
  log(
    `  ${f(matRate)} rows/s (raw pipelined SET floor ${f(rawRate)} rows/s, ${f(matRate / rawRate, 2)}x); ${f(matPerCpu)} rows per CPU s (process + Redis) (load ${matLoad} -> ${load1()})`,
  );

  const inputs: MeasuredInputs = {
    bytesPerUser: r.bytesPerUser,
    bytesPerItem: r.bytesPerItem,
    redisCpuUsPerKeyRead: r.redisCpuUsPerKeyRead,
    redisCpuUsPerLookup: r.redisCpuUsPerLookup,
    recommenderRpsP95Under50: { value: s1.under50?.offered ?? 0, load: load1() },
    recommenderRpsP95Under200: { value: s1.under200.offered, load: load1() },
    recommenderCpuMsPerRequest: { value: cpuMs, load: load1() },
    streamEventsPerCpuSecond: { value: eventsPerCpu, load: streamLoad },
    materializeRowsPerSecond: { value: matRate, load: matLoad },
    materializeRowsPerCpuSecond: { value: matPerCpu, load: matLoad },
    recommenderIdleCores: { value: idle1, load: load1() },
  };
  await single.stop();
  stops.pop();

  // 4. The model.
  log('\n[model] inputs (value, 1-minute load average when measured):');
  for (const [k, v] of Object.entries(inputs)) log(`  ${k.padEnd(28)} ${m(v, 2)}`);
  log(
    `  per core (CPU ${f(cpuMs, 2)} ms/request): ${f(perCoreRate(cpuMs, 200))} req/s at p95 < 200 ms, ${f(perCoreRate(cpuMs, 50))} at p95 < 50 ms`,
  );
  for (const users of [12e6, 50e6]) {
    const fl = sizeFleet(users, inputs);
    log(
      `  ${f(users / 1e6)}M users: ${fl.recommenderPods} recommender pods (${fl.recommenderCores} cores; ${fl.recommenderPodsP95Under50} at p95<50), ` +
        `${fl.redisMasters} Redis masters (${fl.redisNodes} nodes, ${f(fl.redisMemoryGiB)} GiB; data ${f(fl.onlineDataGiB, 1)} GiB; memory needs ${fl.redisMastersForMemory}, reads ${fl.redisMastersForReads}), ` +
        `${fl.streamWorkers} stream workers, materialization ${f(fl.materializeHours, 2)} h`,
    );
  }

  // 5. The simulation: 2 recommender processes on a 3-master cluster.
  log('\n[simulation] Redis Cluster 3 masters + 3 replicas, 2 recommender processes, round robin');
  const cluster = await startRedisCluster(5000);
  stops.push(() => cluster.stop());
  const prefix = `${r.prefix}sim:`;
  const env = { CAPACITY_REDIS: cluster.connection, CAPACITY_CLUSTER: '1', CAPACITY_KEY_PREFIX: prefix };
  const a = await recommender({ ...env, CAPACITY_SEED: '1' });
  const b = await recommender({ ...env, CAPACITY_SEED: '0' });
  const masters = await cluster.masters();
  const clients = masters.map((p) => new Redis(p, '127.0.0.1'));
  await pacedRun([a.url, b.url], { rate: 20, seconds: 3, connectionsPerTarget: 32, body: bodyFor(a.users) });
  const idle2 = await idleCores([a.pid, b.pid], 5000);
  const redisIdle0 = (await Promise.all(clients.map(redisCpuSeconds))).reduce((x, y) => x + y, 0);
  await new Promise((res) => setTimeout(res, 5000));
  const redisIdle = ((await Promise.all(clients.map(redisCpuSeconds))).reduce((x, y) => x + y, 0) - redisIdle0) / 5;
  const mastersCpu = async (): Promise<number> => (await Promise.all(clients.map(redisCpuSeconds))).reduce((x, y) => x + y, 0);
  const cpu0 = await mastersCpu();
  const gen0 = process.cpuUsage();
  const sat2 = await closedRun([a.url, b.url], {
    perTarget: 4,
    requests: 2 * satRequests,
    body: bodyFor(a.users),
    watchPids: [a.pid, b.pid],
  });
  const sat2Raw = (await mastersCpu()) - cpu0;
  const redisCpu = sat2Raw - redisIdle * sat2.elapsed;
  const sat2Cores = coresOf(sat2, gen0, sat2Raw);
  const sat2Load = load1();
  log(`  cores this run's processes got: ${sat2Cores.text}`);
  // The lookup alone against the cluster, as the standalone shard was measured: the masters' CPU per lookup.
  const probe = await onlineUserFeatures({
    type: 'redis',
    connection_string: cluster.connection,
    cluster: true,
    key_prefix: prefix,
    command_timeout_ms: 2000,
  } as never);
  const lookup = (probe.source as unknown as { lookup(userId: number): Promise<unknown> }).lookup;
  for (let i = 0; i < 200; i++) await lookup(1 + (i % a.users));
  const lookupCount = quick ? 5000 : 20000;
  const l0 = await mastersCpu();
  const lt = performance.now();
  let left = lookupCount;
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (left-- > 0) await lookup(1 + (next++ % a.users));
    }),
  );
  const lookupSeconds = (performance.now() - lt) / 1000;
  const clusterLookupUs = (((await mastersCpu()) - l0 - redisIdle * lookupSeconds) * 1e6) / lookupCount;
  await probe.close();
  log(
    `  lookups alone against the cluster: ${f(lookupCount / lookupSeconds)}/s from one process, masters' CPU ${f(clusterLookupUs, 2)} us per lookup (load ${load1()})`,
  );
  log(
    `  closed loop, 4 in flight per process, ${2 * satRequests} requests: ${f(sat2.rps, 1)} req/s, p50 ${f(sat2.p50, 1)} p95 ${f(sat2.p95, 1)} ms, errors ${sat2.errors}, CPU ${f(marginalCpuMs([sat2], idle2), 2)} ms/request (load ${sat2Load})`,
  );
  const s2 = await sweep([a.url, b.url], {
    start: Math.max(5, Math.round((s1.under200?.offered ?? 5) * 0.6)),
    factor: 1.25,
    seconds,
    body: bodyFor(a.users),
    watchPids: [a.pid, b.pid],
    log: runLine('2 procs'),
  });
  clients.forEach((c) => c.disconnect());
  await Promise.all([stopChild(a.child), stopChild(b.child)]);
  const pred = predictThroughput(inputs, { processes: 2, masters: 3 });
  // The same formula on the saturated (closed-loop) rate of one process: what the two got with their CPU share.
  const predSat = predictThroughput(
    { ...inputs, recommenderRpsP95Under200: { value: sat1.rps, load: sat1Load } },
    { processes: 2, masters: 3 },
  );
  const simLoad = load1();
  const modelUs = redisCpuUsPerClusterLookup(inputs, DEFAULT_ASSUMPTIONS, 3);
  const simCpuMs = marginalCpuMs([sat2, ...s2.runs], idle2);
  const redisUs = (redisCpu * 1e6) / sat2.total;
  const measured = s2.under200?.offered ?? 0;
  log(`\nRESULT (load ${simLoad}; 1 process measured at load ${sat1Load}, 2 at ${sat2Load})`);
  log(`| simulation, 2 processes x 3 masters | measured | model | measured / model |`);
  log(`|---|---|---|---|`);
  log(
    `| requests/s, closed loop (4 in flight per process) | ${f(sat2.rps, 1)} | ${f(predSat.predicted, 1)} (2 x ${f(sat1.rps, 1)}) | ${f(sat2.rps / predSat.predicted, 2)}x |`,
  );
  log(
    `| requests/s at p95 < 200 ms, paced | ${f(measured)} | ${f(pred.predicted)} (pods ${f(pred.podBound)}, Redis ${f(pred.redisBound)}) | ${pred.predicted > 0 ? f(measured / pred.predicted, 2) : '-'}x |`,
  );
  log(
    `| Redis masters' CPU per lookup, us, ${lookupCount} lookups alone (idle ${f(redisIdle * 1e3, 1)} ms/s taken off) | ${f(clusterLookupUs, 2)} | ${f(modelUs, 2)} | ${f(clusterLookupUs / modelUs, 2)}x |`,
  );
  log(`| Redis masters' CPU per request, us, during the closed loop | ${f(redisUs, 2)} | ${f(modelUs, 2)} | ${f(redisUs / modelUs, 2)}x |`);
  log(
    `| cores the run's processes got (generator + recommenders + Redis) | ${f(sat2Cores.total, 2)} | ${f(sat1Cores.total, 2)} (1 process) | ${f(sat2Cores.total / sat1Cores.total, 2)}x |`,
  );
  log(`| recommender CPU per request, ms | ${f(simCpuMs, 2)} | ${f(cpuMs, 2)} (1 process) | ${f(simCpuMs / cpuMs, 2)}x |`);
  const simulation = {
    load: simLoad,
    closedLoop: { measured: sat2.rps, predicted: predSat.predicted, oneProcess: sat1.rps, load1: sat1Load, load2: sat2Load },
    paced: { measured, ...pred },
    redisCpuUsPerRequest: { measured: redisUs, model: modelUs },
    redisCpuUsPerClusterLookup: { measured: clusterLookupUs, model: modelUs, lookups: lookupCount },
    cores: { oneProcess: sat1Cores.total, twoProcesses: sat2Cores.total },
    recommenderCpuMsPerRequest: { measured: simCpuMs, model: cpuMs },
  };
  log('\ninputs table (docs/capacity.md):');
  log(inputsTable(inputs));
  log('\nfleet table (docs/capacity.md):');
  log(fleetTable(inputs));
  if (jsonOut)
    // Formatted as the repo's prettier formats JSON, so the recorded file passes `npm run lint`.
    writeFileSync(
      jsonOut,
      await format(
        JSON.stringify(
          {
            at: new Date().toISOString(),
            inputs,
            redis: r,
            closedLoop1: sat1,
            sweep1: s1.runs,
            closedLoop2: sat2,
            sweep2: s2.runs,
            simulation,
          },
          null,
          2,
        ),
        { parser: 'json', printWidth: 140 },
      ),
    );
} finally {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const s of stops.reverse()) await s().catch(() => undefined);
}
