import http from 'node:http';
import { Counter, Gauge, Registry } from 'prom-client';
import { type FeatureViewSpec, type StreamWorker } from '@frec/core';
import { groupOf, partitionsOf, type StreamBroker } from '@frec/core/spi';

/** The metric names a deployment's autoscaler and alerts read; they are a public contract, do not rename. */
export const STREAM_METRICS = {
  lagMessages: 'frec_stream_lag_messages',
  lagSeconds: 'frec_stream_lag_seconds',
  events: 'frec_stream_events_total',
  partitionsOwned: 'frec_stream_partitions_owned',
} as const;

/** The worker's Prometheus metrics; lag is read from the broker when scraped. */
export interface StreamMetrics {
  registry: Registry;
  /** Counts one processed batch's events by outcome. */
  countBatch(view: string, applied: number, replayed: number, invalid: number): void;
}

/**
 * Builds the metrics of a `frec stream` worker. Each worker reports the partitions it owns (an
 * unpartitioned view is partition "0", which every worker of that view consumes), so the sum of
 * `frec_stream_lag_messages` over a partitioned view's workers is its whole lag.
 */
export function streamMetrics(
  project: string,
  views: readonly FeatureViewSpec[],
  worker: Pick<StreamWorker, 'ownedPartitions'>,
  broker: StreamBroker,
): StreamMetrics {
  const registry = new Registry();
  const lanes = (view: FeatureViewSpec): Array<number | undefined> =>
    partitionsOf(view) === 1 ? [undefined] : worker.ownedPartitions(view.name);
  new Gauge({
    name: STREAM_METRICS.lagMessages,
    help: 'Messages of the view not yet acknowledged by its consumer group (undelivered + pending), per partition this worker owns.',
    labelNames: ['view', 'partition'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const view of views) {
        if (view.source.type !== 'stream') continue;
        for (const p of lanes(view)) {
          const lag = await broker.lag(view.source.topic, groupOf(project, view), p);
          this.set({ view: view.name, partition: String(p ?? 0) }, lag.pending + (lag.undelivered ?? 0));
        }
      }
    },
  });
  new Gauge({
    name: STREAM_METRICS.lagSeconds,
    help: 'Age of the oldest unprocessed event of the view in the partitions this worker owns; when caught up, seconds since the newest applied event.',
    labelNames: ['view'],
    registers: [registry],
    async collect() {
      this.reset();
      const states = broker.stateStore(project);
      const now = Date.now();
      for (const view of views) {
        if (view.source.type !== 'stream') continue;
        let oldest: number | null = null;
        for (const p of lanes(view)) {
          const lag = await broker.lag(view.source.topic, groupOf(project, view), p);
          const t = lag.pending + (lag.undelivered ?? 0) > 0 ? (lag.oldestUnackedMs ?? null) : null;
          if (t !== null) oldest = oldest === null ? t : Math.min(oldest, t);
        }
        const newest = oldest === null ? (await states.progress(view.name)).newestEventMs : null;
        const since = oldest ?? newest;
        this.set({ view: view.name }, since === null ? 0 : Math.max(0, (now - since) / 1000));
      }
      await states.close();
    },
  });
  const events = new Counter({
    name: STREAM_METRICS.events,
    help: 'Events processed, by outcome: applied (folded into a state), replayed (already applied, skipped), invalid (dead-lettered).',
    labelNames: ['view', 'outcome'],
    registers: [registry],
  });
  for (const v of views) for (const outcome of ['applied', 'replayed', 'invalid']) events.inc({ view: v.name, outcome }, 0);
  new Gauge({
    name: STREAM_METRICS.partitionsOwned,
    help: 'Partitions of the view this worker owns now (1 for an unpartitioned view).',
    labelNames: ['view'],
    registers: [registry],
    collect() {
      for (const v of views) this.set({ view: v.name }, partitionsOf(v) === 1 ? 1 : worker.ownedPartitions(v.name).length);
    },
  });
  return {
    registry,
    countBatch(view, applied, replayed, invalid) {
      if (applied) events.inc({ view, outcome: 'applied' }, applied);
      if (replayed) events.inc({ view, outcome: 'replayed' }, replayed);
      if (invalid) events.inc({ view, outcome: 'invalid' }, invalid);
    },
  };
}

/**
 * Serves `GET /metrics` (Prometheus text), `GET /health` (the process answers: liveness) and
 * `GET /ready` (200 while `ready()` holds, else 503: readiness, so a rollout waits for a worker that
 * consumes and a draining one reports it); resolves with the bound port once listening.
 */
export function serveMetrics(
  registry: Registry,
  port: number,
  host = '0.0.0.0',
  ready: () => boolean = () => true,
): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && url === '/metrics') {
      registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
        // The broker may be unreachable for a moment: say so without internals; the next scrape retries.
        () => res.writeHead(503, { 'content-type': 'text/plain' }).end('metrics unavailable: the broker did not answer\n'),
      );
      return;
    }
    if (req.method === 'GET' && url === '/health') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    if (req.method === 'GET' && url === '/ready') {
      const ok = ready();
      return void res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ready\n' : 'not consuming\n');
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const addr = server.address();
      resolve({
        port: typeof addr === 'object' && addr ? addr.port : port,
        close: () => new Promise((r) => server.close(() => r())),
      });
    });
  });
}
