/**
 * HTTP overhead of `frec serve`: the same getOnlineFeatures call in-process and through the
 * feature server on loopback (sequential keep-alive client for latency; autocannon with 16
 * connections for throughput), for 1 user x 50 features and 500 items x 20 features.
 * Run: npx tsx bench/server/http-overhead.ts   (BENCH_SECONDS=5 by default)
 */
import http from 'node:http';
import os from 'node:os';
import autocannon from 'autocannon';
import { setupBenchRepo, shapes, timeLoop } from './bench-repo.js';
import { postOnce, startServer } from './http-client.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const f = (n: number, d = 2): string => n.toFixed(d);

const repo = await setupBenchRepo();
const server = await startServer(['-c', repo.dir, 'serve', '--port', '0', '--log-level', 'info', '--store-timeout-ms', '10000']).catch(
  async (err: unknown) => {
    await repo.cleanup();
    throw err;
  },
);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const rows: string[] = [];
try {
  for (const shape of shapes()) {
    const inproc = await timeLoop(() => repo.store.getOnlineFeatures(shape.request), seconds);
    const seq = await timeLoop(() => postOnce(agent, server.port, '/get-online-features', shape.body), seconds);
    const ac = await autocannon({
      url: `http://127.0.0.1:${server.port}/get-online-features`,
      method: 'POST',
      body: shape.body,
      headers: { 'content-type': 'application/json' },
      connections: 16,
      duration: seconds,
    });
    if (ac.non2xx > 0 || ac.errors > 0)
      console.warn(`${shape.name}: autocannon saw ${ac.non2xx} non-2xx and ${ac.errors} errors: ${JSON.stringify(ac.statusCodeStats)}`);
    const line = `| ${shape.name} | ${f(inproc.rps, 0)} | ${f(inproc.p50)} | ${f(inproc.p99)} | ${f(seq.rps, 0)} | ${f(seq.p50)} | ${f(seq.p99)} | ${f(seq.p50 / inproc.p50)}x / ${f(seq.p99 / inproc.p99)}x | ${f(ac.requests.average, 0)} | ${ac.latency.p50} | ${ac.latency.p99} |`;
    rows.push(line);
    console.log(line);
  }
} finally {
  agent.destroy();
  await server.stop();
  await repo.cleanup();
}
console.log(
  `\nmachine: ${os.cpus().length} cores, node ${process.version}, load avg ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}, ${new Date().toISOString()}`,
);
console.log(
  '| shape | in-process req/s | in-process p50 ms | in-process p99 ms | HTTP (1 conn) req/s | HTTP p50 ms | HTTP p99 ms | HTTP/in-process p50 / p99 | HTTP (16 conns, autocannon) req/s | autocannon p50 ms | autocannon p99 ms |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
