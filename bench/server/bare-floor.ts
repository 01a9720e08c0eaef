/**
 * `frec serve` against its floor: a bare fastify route (no hooks, no parsing, no work) returning
 * the same response bytes, each in its own process, both under autocannon at 1 and 8 connections,
 * rounds alternating so load on a shared machine falls on both. The repo is what `frec init` makes
 * (SQLite online store), materialized, asked for 1 entity x 3 features.
 * Run: npx tsx bench/server/bare-floor.ts [rounds]   (BENCH_SECONDS=4 per cell by default)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { startServer } from './http-client.js';

const rounds = Number(process.argv[2] ?? 3);
const seconds = Number(process.env.BENCH_SECONDS ?? 4);
const frec = path.resolve('node_modules/.bin/frec');
const parent = mkdtempSync(path.join(os.tmpdir(), 'frec-bench-floor-'));
const dir = path.join(parent, 'demo');
const run = (...args: string[]): string => execFileSync(frec, ['-c', dir, ...args], { encoding: 'utf8' });
execFileSync(frec, ['-c', parent, 'init', 'demo'], { encoding: 'utf8' });
run('apply');
run('materialize', '2000-01-01T00:00:00Z', new Date(Date.now() + 60_000).toISOString());

const body = JSON.stringify({
  features: ['driver_hourly_stats:conv_rate', 'driver_hourly_stats:acc_rate', 'driver_hourly_stats:avg_daily_trips'],
  entities: { driver_id: [1001] },
});

function fetchOnce(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/get-online-features', method: 'POST' }, (res) => {
      let out = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (out += d));
      res.on('end', () => (res.statusCode === 200 ? resolve(out) : reject(new Error(`HTTP ${res.statusCode}: ${out}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** User + system CPU seconds of a process so far (Linux /proc; clock ticks of 10 ms). */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

async function load(port: number, connections: number, pid?: number): Promise<{ rps: number; p50: number; p99: number; cpuUs: number }> {
  const cpu0 = cpuSeconds(pid);
  const r = await autocannon({
    url: `http://127.0.0.1:${port}/get-online-features`,
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json' },
    connections,
    duration: seconds,
  });
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`autocannon saw ${r.non2xx} non-2xx and ${r.errors} errors`);
  // The server's own CPU per request: on 2 cores the load generator takes one, so a server that
  // needs little CPU per request is held back by the client, and requests/s alone hides how much
  // work each server does.
  const cpuUs = ((cpuSeconds(pid) - cpu0) * 1e6) / r.requests.total;
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, cpuUs };
}

const served = await startServer(['-c', dir, 'serve', '--port', '0', '--log-level', 'info']);
const cells: Array<{
  conns: number;
  frec: number[];
  bare: number[];
  frecLat: string[];
  bareLat: string[];
  frecCpu: number[];
  bareCpu: number[];
}> = [1, 8].map((conns) => ({
  conns,
  frec: [],
  bare: [],
  frecLat: [],
  bareLat: [],
  frecCpu: [],
  bareCpu: [],
}));
let bytes: number;
try {
  const response = await fetchOnce(served.port);
  bytes = Buffer.byteLength(response);
  const bare = await startServer(['--import', 'tsx', path.resolve('bench/server/bare-route-server.ts'), response], 1, process.execPath);
  try {
    if ((await fetchOnce(bare.port)) !== response) throw new Error('the bare route does not return the same bytes');
    // Warm-up: both servers tier up before anything is timed.
    await load(served.port, 8);
    await load(bare.port, 8);
    for (let r = 0; r < rounds; r++) {
      for (const cell of cells) {
        const order = r % 2 === 0 ? (['frec', 'bare'] as const) : (['bare', 'frec'] as const);
        for (const who of order) {
          const server = who === 'frec' ? served : bare;
          const res = await load(server.port, cell.conns, server.child.pid);
          cell[who].push(res.rps);
          cell[who === 'frec' ? 'frecCpu' : 'bareCpu'].push(res.cpuUs);
          cell[who === 'frec' ? 'frecLat' : 'bareLat'].push(`${res.p50}/${res.p99}`);
          console.log(
            `round ${r + 1} ${cell.conns} conn ${who}: ${res.rps.toFixed(0)} req/s, p50/p99 ${res.p50}/${res.p99} ms, server CPU ${res.cpuUs.toFixed(0)} µs/request`,
          );
        }
      }
    }
  } finally {
    await bare.stop();
  }
} finally {
  await served.stop();
  rmSync(parent, { recursive: true, force: true });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(
  `\nmachine: ${os.cpus().length} cores (${os.cpus()[0]?.model}), node ${process.version}, load avg ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}, ${new Date().toISOString()}; response ${bytes} bytes; ${rounds} rounds x ${seconds} s per cell`,
);
console.log(
  '| connections | frec serve req/s (median; runs) | bare fastify route req/s (median; runs) | ratio of medians (target >= 0.5x) | per-round ratios | server CPU µs/request, frec / bare (medians) |',
);
console.log('|---|---|---|---|---|---|');
for (const c of cells) {
  const ratios = c.frec.map((v, i) => (v / c.bare[i]!).toFixed(2)).join(', ');
  console.log(
    `| ${c.conns} | ${median(c.frec).toFixed(0)} (${c.frec.map((v) => v.toFixed(0)).join(', ')}) | ${median(c.bare).toFixed(0)} (${c.bare
      .map((v) => v.toFixed(0))
      .join(
        ', ',
      )}) | ${(median(c.frec) / median(c.bare)).toFixed(2)}x | ${ratios} | ${median(c.frecCpu).toFixed(0)} / ${median(c.bareCpu).toFixed(0)} |`,
  );
}
