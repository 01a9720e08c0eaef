import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { pacedRun } from './paced-load.js';

/**
 * Load benchmark of StreamRec serving (`npx tsx bench/recommend/load.ts [--quick]`): autocannon on
 * loopback against `POST /recommendations` (trained models from the registry, user features from
 * Redis), p50/p95/p99 per stage and end to end, requests/s, a rate sweep for the highest rate
 * with p95 under 200 ms, and the same load on a raw fastify baseline answering a fixed list.
 * The sweep paces arrivals evenly (paced-load.ts); BENCH_SWEEP=autocannon uses autocannon's
 * `overallRate`, which sends each second's quota in one burst (the figures before ADR 0074's update).
 */
const quick = process.argv.includes('--quick');
const duration = quick ? 4 : 10;

// A private redis-server on a spare loopback port (the shared one carries other people's load);
// BENCH_REDIS_URL=redis://127.0.0.1:6379 uses an existing one instead.
let redisProc: ChildProcess | undefined;
let redisUrl = process.env.BENCH_REDIS_URL;
if (!redisUrl) {
  const port = await new Promise<number>((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const p = (srv.address() as { port: number }).port;
      srv.close(() => resolve(p));
    });
  });
  redisProc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  redisUrl = `redis://127.0.0.1:${port}`;
  // Never leave the server behind, whatever path this process exits by.
  process.on('exit', () => redisProc?.kill('SIGKILL'));
  for (let i = 0; i < 100; i++) {
    const probe = new Redis(redisUrl, { lazyConnect: true, retryStrategy: () => null });
    probe.on('error', () => undefined);
    const ok = await probe.connect().then(
      () => true,
      () => false,
    );
    probe.disconnect();
    if (ok) break;
    await new Promise((r) => setTimeout(r, 50));
  }
}
const child = spawn(process.execPath, ['--import', 'tsx', new URL('./recommend-server-child.ts', import.meta.url).pathname], {
  stdio: ['ignore', 'pipe', 'inherit'],
  env: { ...process.env, REDIS_URL: redisUrl },
});
const info = await new Promise<{ url: string; baseUrl: string; keyPrefix: string; ranker: string; twoTower: string; notes: string[] }>(
  (resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.on('line', (line) => {
      if (line.startsWith('{')) resolve(JSON.parse(line));
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  },
);
for (const n of info.notes) console.log(`note: ${n}`);
console.log(
  `models: ranker ${info.ranker}, retrieval ${info.twoTower}; features ${process.env.STREAMREC_FEATURES === 'memory' ? 'memory' : `Redis ${redisUrl}`}; node ${process.version}`,
);

let seed = 12345;
const nextUser = (): number => {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return 1 + (seed % 610);
};

async function run(url: string, opts: { connections: number; rate?: number; seconds: number }) {
  const result = await autocannon({
    url: `${url}/recommendations`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    connections: opts.connections,
    duration: opts.seconds,
    ...(opts.rate ? { overallRate: opts.rate } : {}),
    requests: [{ setupRequest: (req) => ({ ...req, body: JSON.stringify({ userId: nextUser(), count: 20, context: { device: 'tv' } }) }) }],
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p95: pct(result, 95),
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
    total: result.requests.total,
  };
}

function pct(result: autocannon.Result, p: number): number {
  // autocannon reports p90 and p97.5 but not p95: interpolate between them.
  const l = result.latency as unknown as Record<string, number>;
  return l[`p${p}`] ?? l.p90! + ((l.p97_5! - l.p90!) * (p - 90)) / 7.5;
}

const quantile = (a: number[], q: number): number => {
  const s = [...a].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
};

type Stages = Record<string, number[]>;
const stagesNow = async (): Promise<Stages> => (await (await fetch(`${info.url}/bench/stages`)).json()) as Stages;
const resetStages = async (): Promise<void> => {
  await fetch(`${info.url}/bench/reset`, { method: 'POST' });
};
function printStages(stages: Stages): void {
  for (const [k, v] of Object.entries(stages)) {
    if (k.startsWith('level_')) continue;
    console.log(
      `  ${k.padEnd(26)} p50 ${quantile(v, 0.5).toFixed(2).padStart(7)}  p95 ${quantile(v, 0.95).toFixed(2).padStart(7)}  p99 ${quantile(v, 0.99).toFixed(2).padStart(7)}`,
    );
  }
  console.log(
    `  levels: ${Object.entries(stages)
      .filter(([k]) => k.startsWith('level_'))
      .map(([k, v]) => `${k.slice(6)} ${v.length}`)
      .join(', ')}`,
  );
}

try {
  // Warm-up (JIT, connections).
  await run(info.url, { connections: 4, seconds: 2 });
  await resetStages();

  const svc = (await (await fetch(`${info.url}/bench/inprocess?n=${quick ? 100 : 300}`)).json()) as {
    mean: number;
    p50: number;
    p95: number;
    p99: number;
  };
  console.log(
    `\nin-process service time (sequential, no HTTP, ${process.env.STREAMREC_FEATURES === 'memory' ? 'memory' : 'Redis'} features): mean ${svc.mean.toFixed(2)} ms  p50 ${svc.p50.toFixed(2)}  p95 ${svc.p95.toFixed(2)}  p99 ${svc.p99.toFixed(2)}  => at most ~${Math.floor(1000 / svc.mean)} req/s per core`,
  );
  await resetStages();
  const conns = 8;
  const max = await run(info.url, { connections: conns, seconds: duration });
  const closedStages = await stagesNow();
  const baseline = await run(info.baseUrl, { connections: conns, seconds: duration });
  console.log(`\nclosed loop, ${conns} connections, ${duration} s (saturation):`);
  console.log(
    `  StreamRec  ${max.rps.toFixed(0)} req/s  p50 ${max.p50} ms  p95 ${max.p95.toFixed(1)} ms  p99 ${max.p99} ms  errors ${max.errors}`,
  );
  console.log(
    `  baseline   ${baseline.rps.toFixed(0)} req/s  p50 ${baseline.p50} ms  p95 ${baseline.p95.toFixed(1)} ms  p99 ${baseline.p99} ms  (raw fastify, fixed 20-item list)`,
  );
  console.log(`  ratio      StreamRec throughput = ${(max.rps / baseline.rps).toFixed(3)}x the raw HTTP floor`);
  console.log(
    `  levels at saturation: ${Object.entries(closedStages)
      .filter(([k]) => k.startsWith('level_'))
      .map(([k, v]) => `${k.slice(6)} ${v.length}`)
      .join(', ')}`,
  );

  // Open-loop sweep: fixed offered rates, up from a fraction of the closed-loop maximum.
  const burst = process.env.BENCH_SWEEP === 'autocannon';
  console.log(
    `\nopen-loop rate sweep (fixed offered rate, 32 connections, ${burst ? "autocannon overallRate: each second's quota in one burst" : 'evenly spaced arrivals'}):`,
  );
  const cap = Math.max(20, Math.round(max.rps));
  // Up past the closed-loop maximum (paced arrivals queue less than 8 greedy connections), until a rate fails.
  const rates = [
    ...new Set([0.25, 0.5, 0.75, 0.9, 1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6].map((f) => Math.max(10, Math.round((cap * f) / 10) * 10))),
  ];
  let best: { rate: number; p95: number; rps: number; stages: Stages } | undefined;
  let under50: { rate: number; p95: number } | undefined;
  for (const rate of rates) {
    await resetStages();
    const seconds = quick ? 3 : 6;
    const r = burst
      ? await run(info.url, { connections: 32, rate, seconds })
      : await pacedRun(info.url, {
          connections: 32,
          rate,
          seconds,
          body: () => JSON.stringify({ userId: nextUser(), count: 20, context: { device: 'tv' } }),
        });
    const st = await stagesNow();
    const full = (st.level_FULL?.length ?? 0) / Math.max(1, st.total?.length ?? 1);
    console.log(
      `  offered ${String(rate).padStart(5)}/s  achieved ${r.rps.toFixed(0).padStart(5)}/s  p50 ${r.p50.toFixed(1)} ms  p95 ${r.p95.toFixed(1)} ms  p99 ${r.p99.toFixed(1)} ms  errors ${r.errors}  FULL ${(full * 100).toFixed(0)}%`,
    );
    if (r.p95 < 200 && r.errors === 0 && r.rps >= rate * 0.95) best = { rate, p95: r.p95, rps: r.rps, stages: st };
    if (r.p95 < 50 && r.errors === 0 && r.rps >= rate * 0.95) under50 = { rate, p95: r.p95 };
    if (r.p95 >= 200 || r.errors > 0 || r.rps < rate * 0.95) break;
  }
  if (best) {
    console.log(`\nper stage inside the server at ${best.rate}/s (ms):`);
    printStages(best.stages);
    console.log(`\nhighest offered rate with p95 < 200 ms: ${best.rate}/s (p95 ${best.p95.toFixed(1)} ms)`);
    console.log(`highest offered rate with p95 < 50 ms: ${under50 ? `${under50.rate}/s (p95 ${under50.p95.toFixed(1)} ms)` : 'none'}`);
    console.log(
      `10,000 req/s at p95 < 200 ms needs about ${Math.ceil(10_000 / best.rate)} such processes (one core each, plus load balancing)`,
    );
  } else console.log('\nno offered rate kept p95 under 200 ms');
} finally {
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  // The child tears its keys down; on a loaded Redis that can time out, so sweep our prefix too.
  if (redisProc) {
    redisProc.kill('SIGKILL');
  } else {
    const redis = new Redis(redisUrl);
    let removed = 0;
    for await (const keys of redis.scanStream({ match: `${info.keyPrefix}*`, count: 1000 }) as AsyncIterable<string[]>) {
      if (keys.length > 0) removed += await redis.del(...keys);
    }
    redis.disconnect();
    if (removed > 0) console.log(`removed ${removed} leftover bench keys`);
  }
}
