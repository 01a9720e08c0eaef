/**
 * The worker-threads alternative to `frec serve --workers N`, for ADR 0041: the main thread owns
 * the socket (threads cannot share a listening port in Node 20) and hands each body to one of N
 * threads, each with its own FeatureStore, which parse, read and serialize; the JSON string comes
 * back by postMessage. Run: npx tsx bench/server/worker-threads-server.ts REPO_DIR THREADS
 */
import http from 'node:http';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

if (isMainThread) {
  const [dir, threadsArg] = process.argv.slice(2);
  const threads = Number(threadsArg ?? 2);
  // tsx's loader is per thread in Node 20, so each thread registers it before importing this file.
  const boot = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(import.meta.url)}); })`;
  const workers = Array.from({ length: threads }, () => new Worker(boot, { eval: true, workerData: { dir } }));
  await Promise.all(workers.map((w) => new Promise((r) => w.once('message', r))));
  const pending = new Map<number, http.ServerResponse>();
  let seq = 0;
  for (const w of workers) {
    w.on('message', (m: { id: number; status: number; body: string }) => {
      const res = pending.get(m.id)!;
      pending.delete(m.id);
      res.writeHead(m.status, { 'content-type': 'application/json' }).end(m.body);
    });
  }
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const id = seq++;
      pending.set(id, res);
      workers[id % threads]!.postMessage({ id, body: Buffer.concat(chunks).toString('utf8') });
    });
  });
  server.keepAliveTimeout = 72_000;
  server.listen(0, '127.0.0.1', () => {
    const port = (server.address() as { port: number }).port;
    process.stdout.write(`${JSON.stringify({ msg: 'feature server listening', url: `http://127.0.0.1:${port}` })}\n`);
  });
  process.once('SIGTERM', () => {
    server.close();
    server.closeAllConnections();
    for (const w of workers) void w.terminate();
  });
} else {
  const { FeatureStore } = await import('@frec/core');
  // @frec/feature-server loads no native model runtime (those hang in a worker thread here).
  const { toFeastResponse } = await import('@frec/feature-server');
  const { getOnlineFeaturesBody, parseBody, columnsToRows } = await import('../../packages/feature-server/src/request-schemas.js');
  const store = await FeatureStore.open({ repoPath: (workerData as { dir: string }).dir });
  await store.onlineStore();
  parentPort!.on('message', async (m: { id: number; body: string }) => {
    try {
      const b = parseBody(getOnlineFeaturesBody, JSON.parse(m.body), '/get-online-features');
      const entityRows = columnsToRows(b.entities, { route: '/get-online-features', field: 'entities', maxRows: 10_000 });
      const res = await store.getOnlineFeatures({ features: b.features!, entityRows });
      parentPort!.postMessage({ id: m.id, status: 200, body: JSON.stringify(toFeastResponse(res)) });
    } catch (err) {
      parentPort!.postMessage({ id: m.id, status: 400, body: JSON.stringify({ error: String(err) }) });
    }
  });
  parentPort!.postMessage('ready');
}
