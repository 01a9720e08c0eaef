/**
 * Scaling across cores, for ADR 0041: one `frec serve` process, `frec serve --workers 2`
 * (node:cluster), and a worker-threads server with 2 threads, each under autocannon with 16
 * connections for both request shapes.
 * Run: npx tsx bench/server/workers.ts   (BENCH_SECONDS=5 by default)
 */
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { setupBenchRepo, shapes } from './bench-repo.js';
import { startServer } from './http-client.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const repo = await setupBenchRepo();
const variants: Array<{ name: string; start: () => ReturnType<typeof startServer> }> = [
  { name: 'frec serve (1 process)', start: () => startServer(['-c', repo.dir, 'serve', '--port', '0', '--store-timeout-ms', '10000']) },
  {
    name: 'frec serve --workers 2 (cluster)',
    start: () => startServer(['-c', repo.dir, 'serve', '--port', '0', '--workers', '2', '--store-timeout-ms', '10000'], 2),
  },
  {
    name: 'worker_threads x2 (main thread owns the socket)',
    start: () =>
      startServer(['--import', 'tsx', path.resolve('bench/server/worker-threads-server.ts'), repo.dir, '2'], 1, process.execPath),
  },
];
const rows: string[] = [];
try {
  for (const v of variants) {
    const server = await v.start();
    try {
      const cells: string[] = [];
      for (const shape of shapes()) {
        const ac = await autocannon({
          url: `http://127.0.0.1:${server.port}/get-online-features`,
          method: 'POST',
          body: shape.body,
          headers: { 'content-type': 'application/json' },
          connections: 16,
          duration: seconds,
        });
        if (ac.non2xx > 0 || ac.errors > 0) console.warn(`${v.name} / ${shape.name}: ${ac.non2xx} non-2xx, ${ac.errors} errors`);
        cells.push(`${ac.requests.average.toFixed(0)} | ${ac.latency.p50} | ${ac.latency.p99}`);
      }
      const line = `| ${v.name} | ${cells.join(' | ')} |`;
      rows.push(line);
      console.log(line);
    } finally {
      await server.stop();
    }
  }
} finally {
  await repo.cleanup();
}
console.log(
  `\nmachine: ${os.cpus().length} cores, node ${process.version}, load avg ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}, ${new Date().toISOString()}`,
);
console.log('| server | 1x50 req/s | 1x50 p50 ms | 1x50 p99 ms | 500x20 req/s | 500x20 p50 ms | 500x20 p99 ms |');
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
