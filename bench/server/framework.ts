/**
 * Framework overhead, for ADR 0040: the same handler (parse, validate, getOnlineFeatures, Feast
 * JSON) on bare node:http and on the fastify app of `frec serve`, both in this process, measured
 * by a sequential keep-alive client. Run: npx tsx bench/server/framework.ts
 */
import http from 'node:http';
import os from 'node:os';
import { createFeatureServer, toFeastResponse } from '@frec/feature-server';
import { columnsToRows, getOnlineFeaturesBody, parseBody } from '../../packages/feature-server/src/request-schemas.js';
import { setupBenchRepo, shapes, timeLoop } from './bench-repo.js';
import { postOnce } from './http-client.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 3);
const repo = await setupBenchRepo();
const bare = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    void (async () => {
      const b = parseBody(getOnlineFeaturesBody, JSON.parse(Buffer.concat(chunks).toString('utf8')), '/get-online-features');
      const entityRows = columnsToRows(b.entities, { route: '/get-online-features', field: 'entities', maxRows: 10_000 });
      const out = await repo.store.getOnlineFeatures({ features: b.features!, entityRows });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(toFeastResponse(out)));
    })().catch((err: Error) => res.writeHead(400).end(err.message));
  });
});
await new Promise<void>((r) => bare.listen(0, '127.0.0.1', () => r()));
const barePort = (bare.address() as { port: number }).port;
const fast = await createFeatureServer(repo.store, { port: 0, logLevel: 'warn' });
const { port: fastPort } = await fast.listen();
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const lines: string[] = [];
try {
  for (const shape of shapes()) {
    const a = await timeLoop(() => postOnce(agent, barePort, '/get-online-features', shape.body), seconds);
    const b = await timeLoop(() => postOnce(agent, fastPort, '/get-online-features', shape.body), seconds);
    const line = `| ${shape.name} | ${a.rps.toFixed(0)} | ${a.p50.toFixed(2)} | ${a.p99.toFixed(2)} | ${b.rps.toFixed(0)} | ${b.p50.toFixed(2)} | ${b.p99.toFixed(2)} | ${(b.p50 / a.p50).toFixed(2)}x |`;
    lines.push(line);
    console.log(line);
  }
} finally {
  agent.destroy();
  bare.close();
  await fast.close();
  await repo.cleanup();
}
console.log(
  `\nmachine: ${os.cpus().length} cores, node ${process.version}, load avg ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}, ${new Date().toISOString()}`,
);
console.log('| shape | node:http req/s | p50 ms | p99 ms | fastify (frec serve app) req/s | p50 ms | p99 ms | fastify/node:http p50 |');
console.log('|---|---|---|---|---|---|---|---|');
for (const l of lines) console.log(l);
