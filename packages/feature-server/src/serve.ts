import cluster from 'node:cluster';
import { ConfigError, FeatureStore } from '@frec/core';
import { serveClusterMetrics } from './cluster-metrics.js';
import { createFeatureServer, type FeatureServer } from './create-server.js';
import { tuneHeapForServing } from './heap-tuning.js';
import type { FeatureServerOptions } from './server-options.js';
import { serverConfigOf } from './server-config.js';

/** Options of `serveFeatureRepo`: the repo folder plus server options. */
export interface ServeOptions extends FeatureServerOptions {
  /** Folder holding feature_store.yaml. */
  repoPath: string;
  /** Worker processes (node:cluster) sharing the port; 1 serves in this process. */
  workers?: number;
  /** Plugin modules to load besides the repo's `plugins:` (see FeatureStore.open). */
  plugins?: readonly string[];
}

/**
 * Opens a repo's FeatureStore, serves it until SIGTERM or SIGINT, then drains in-flight requests
 * and exits. With `workers > 1` this process becomes the cluster primary and forks workers that
 * share the port (see docs/adr/0041), restarting any that crash.
 */
export async function serveFeatureRepo(options: ServeOptions): Promise<void> {
  const workers = Math.max(1, Math.floor(options.workers ?? 1));
  if (workers > 1 && cluster.isPrimary) return runPrimary(workers);
  tuneHeapForServing();
  const store = await FeatureStore.open({ repoPath: options.repoPath, ...(options.plugins ? { plugins: options.plugins } : {}) });
  let server: FeatureServer;
  try {
    server = await createFeatureServer(store, { ...options, closeStore: true, clusterMetrics: cluster.isWorker });
    await server.listen();
  } catch (err) {
    await store.close();
    const e = err as { code?: string };
    if (e.code === 'EADDRINUSE' || e.code === 'EACCES' || e.code === 'EADDRNOTAVAIL') {
      const section = serverConfigOf(store.config);
      const host = options.host ?? section.host;
      const port = options.port ?? section.port;
      throw new ConfigError(`Cannot listen on ${host}:${port} (${e.code}).`, {
        where: { host, port },
        hint:
          e.code === 'EADDRINUSE'
            ? 'Another process uses that port: pass --port, or stop it.'
            : 'Pick another --host/--port (ports below 1024 need privileges).',
      });
    }
    throw err;
  }
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      server.app.log.info({ signal }, 'shutting down');
      server.close().then(resolve, (err: Error) => {
        server.app.log.error({ err: err.message }, 'shutdown failed');
        resolve();
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    // A cluster primary asks workers to stop by disconnecting them.
    if (cluster.isWorker) cluster.worker?.once('disconnect', () => stop('disconnect'));
  });
  // The IPC channel to the primary would keep a worker alive after its server closed.
  if (cluster.isWorker && cluster.worker?.isConnected()) cluster.worker.disconnect();
}

function log(msg: string, extra: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ level: 30, time: Date.now(), pid: process.pid, role: 'primary', ...extra, msg })}\n`);
}

/** The cluster primary: forks workers, replaces crashed ones, and on a signal drains them all. */
async function runPrimary(count: number): Promise<void> {
  let stopping = false;
  const fork = (): void => {
    cluster.fork();
  };
  serveClusterMetrics();
  for (let i = 0; i < count; i++) fork();
  log('feature server primary started', { workers: count });
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    log('worker exited; starting another', { worker: worker.process.pid, code, signal });
    setTimeout(fork, 500).unref();
  });
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      log('shutting down workers', { signal });
      const alive = Object.values(cluster.workers ?? {}).filter((w) => w !== undefined);
      if (alive.length === 0) return resolve();
      let left = alive.length;
      for (const w of alive) {
        w.once('exit', () => {
          if (--left === 0) resolve();
        });
        w.process.kill('SIGTERM');
      }
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  log('all workers stopped');
}
