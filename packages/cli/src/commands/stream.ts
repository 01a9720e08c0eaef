import os from 'node:os';
import type { Command } from 'commander';
import { createStreamBroker, ErrorCode, RequestError, StreamWorker, type FeatureViewSpec } from '@frec/core';
import { seededRandom } from '@frec/core/spi';
import { emit, table, globalsOf } from '../output.js';
import { withStore } from '../context.js';
import { parseCliTime, positiveInt } from './materialize.js';
import { serveMetrics, streamMetrics } from './stream-metrics.js';

function nonNegativeInt(v: string, flag: string): number {
  return v === '0' ? 0 : positiveInt(v, flag);
}

function splitList(v: string | undefined): string[] | undefined {
  const parts = v
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return parts && parts.length > 0 ? parts : undefined;
}

/**
 * Fault injection for the exactly-once tests: with FREC_STREAM_CRASH_AFTER_SAVE=p the worker
 * SIGKILLs itself with probability p right after a state save, before the acknowledgement
 * (seeded by FREC_STREAM_CRASH_SEED).
 */
function crashHook(): { afterSave?: () => void } {
  const p = Number(process.env.FREC_STREAM_CRASH_AFTER_SAVE ?? 0);
  if (!(p > 0)) return {};
  const rand = seededRandom(Number(process.env.FREC_STREAM_CRASH_SEED ?? 1));
  return { afterSave: () => void (rand() < p && process.kill(process.pid, 'SIGKILL')) };
}

interface StreamOpts {
  views?: string;
  consumer?: string;
  batchSize?: string;
  blockMs?: string;
  claimIdleMs?: string;
  offline?: boolean;
  url?: string;
  logEvery?: string;
  leaseMs?: string;
  metricsPort?: string;
  metricsHost?: string;
}

/** Registers `frec stream` (the worker), `frec stream-status` (lag and freshness) and `frec stream-backfill`. */
export function registerStreamCommand(program: Command): void {
  program
    .command('stream')
    .description('consume the stream sources of stream feature views and keep their aggregates online and offline (until Ctrl-C)')
    .option('--views <names>', 'comma-separated stream views (default: every stream view)')
    .option(
      '--consumer <name>',
      'consumer name in each view group, unique per worker; reuse it after a restart to resume its pending events (default: the host name, a pod name on Kubernetes)',
    )
    .option('--batch-size <n>', 'most messages per read (default 2000)')
    .option('--block-ms <ms>', 'how long a read waits for new messages (default 1000)')
    .option('--claim-idle-ms <ms>', "claim another consumer's messages pending this long (default 30000)")
    .option('--no-offline', 'do not append feature rows to the offline store')
    .option(
      '--url <url>',
      "broker URL (default: the broker's section in feature_store.yaml, else FREC_STREAM_REDIS_URL / FREC_STREAM_NATS_URL)",
    )
    .option(
      '--lease-ms <ms>',
      "partitioned sources: lease TTL, so how soon a dead worker's partitions move (default 10000; the same for every worker)",
    )
    .option('--metrics-port <port>', 'serve Prometheus metrics on http://<host>:<port>/metrics (0: any free port)')
    .option('--metrics-host <host>', 'address the metrics server binds (default 0.0.0.0)')
    .option('--log-every <s>', 'seconds between progress lines (default 10)')
    .action(async (opts: StreamOpts, cmd: Command) => {
      const g = globalsOf(cmd);
      await withStore(g, async (store) => {
        const data = await store.registry.data({ fresh: true });
        const names = splitList(opts.views);
        const views: FeatureViewSpec[] = names
          ? await Promise.all(names.map((n) => store.registry.getFeatureView(n)))
          : Object.values(data.featureViews)
              .map((v) => v.spec)
              .filter((v) => v.source.type === 'stream');
        const notStream = views.find((v) => v.source.type !== 'stream');
        if (notStream)
          throw new RequestError(ErrorCode.INVALID_REQUEST, `Feature view '${notStream.name}' has no stream source.`, {
            where: { featureView: notStream.name },
          });
        if (views.length === 0)
          throw new RequestError(ErrorCode.INVALID_REQUEST, 'No stream feature view is applied.', {
            hint: 'Declare one with streamFeatureView(...) and run `frec apply`.',
          });
        const brokerType = views[0]!.source.type === 'stream' ? views[0]!.source.broker : 'redis';
        const broker = await createStreamBroker(store.config, brokerType, opts.url ? { url: opts.url } : {});
        // Built first so the worker's batches count from the start; it asks the worker what it owns only when scraped.
        const metrics = streamMetrics(store.project, views, { ownedPartitions: (v) => worker.ownedPartitions(v) }, broker);
        const worker = new StreamWorker(store, broker, views, {
          consumer: opts.consumer ?? os.hostname(),
          ...(opts.leaseMs ? { leaseMs: positiveInt(opts.leaseMs, '--lease-ms') } : {}),
          ...(opts.batchSize ? { batchSize: positiveInt(opts.batchSize, '--batch-size') } : {}),
          ...(opts.blockMs ? { blockMs: positiveInt(opts.blockMs, '--block-ms') } : {}),
          ...(opts.claimIdleMs ? { claimIdleMs: positiveInt(opts.claimIdleMs, '--claim-idle-ms') } : {}),
          ...(opts.offline === false ? { writeOffline: false } : {}),
          ...crashHook(),
          onBatch: (b) => {
            metrics.countBatch(b.view, b.applied, b.replayed, b.invalid);
            if (b.conflicts > 0 && !g.json)
              process.stderr.write(`stream view=${b.view} conflicts=${b.conflicts} (their events stay pending and are claimed again)\n`);
          },
          onError: (err, view) =>
            process.stderr.write(`stream view=${view} error=${JSON.stringify(String((err as Error).message ?? err))} (retrying)\n`),
          onPartitions: (view, owned) => !g.json && process.stderr.write(`stream view=${view} partitions=${owned.join(',') || '-'}\n`),
        });
        // Ready from the first read loop until a stop signal: what the readiness probe reports.
        let consuming = false;
        const server =
          opts.metricsPort !== undefined
            ? await serveMetrics(metrics.registry, nonNegativeInt(opts.metricsPort, '--metrics-port'), opts.metricsHost, () => consuming)
            : undefined;
        if (server && !g.json) process.stderr.write(`stream metrics on http://${opts.metricsHost ?? '0.0.0.0'}:${server.port}/metrics\n`);
        const t0 = Date.now();
        let last = { at: t0, messages: 0 };
        const every = positiveInt(opts.logEvery ?? '10', '--log-every') * 1000;
        const timer = setInterval(() => {
          const now = Date.now();
          const rate = ((worker.totals.messages - last.messages) * 1000) / Math.max(1, now - last.at);
          last = { at: now, messages: worker.totals.messages };
          if (!g.json)
            process.stderr.write(
              `stream messages=${worker.totals.messages} applied=${worker.totals.applied} replayed=${worker.totals.replayed} invalid=${worker.totals.invalid} events_per_s=${Math.round(rate)}\n`,
            );
        }, every);
        // The first SIGTERM/SIGINT drains: reads stop, batches in flight are saved and acknowledged, partitions are
        // released for the other workers. A second one exits at once (what was not acknowledged is redelivered).
        let signals = 0;
        const stop = (signal: NodeJS.Signals): void => {
          if (++signals > 1) process.exit(signal === 'SIGINT' ? 130 : 143);
          consuming = false;
          if (!g.json) process.stderr.write(`stream ${signal}: draining\n`);
          worker.stop();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
        if (!g.json) process.stderr.write(`stream consuming ${views.map((v) => v.name).join(', ')}\n`);
        try {
          const running = worker.run();
          consuming = true;
          await running;
        } finally {
          clearInterval(timer);
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          await worker.close();
          await server?.close();
          await broker.close();
        }
        emit(
          g,
          { ...worker.totals, seconds: (Date.now() - t0) / 1000 },
          () =>
            `Stopped after ${worker.totals.messages} messages (${worker.totals.applied} applied, ${worker.totals.replayed} replays skipped).`,
        );
      });
    });

  program
    .command('stream-status')
    .description('consumer lag and newest-value age per view')
    .option('--views <names>', 'comma-separated views (default: all)')
    .action(async (opts: { views?: string }, cmd: Command) => {
      const g = globalsOf(cmd);
      await withStore(g, async (store) => {
        const rows = await store.freshness(splitList(opts.views));
        const fmt = (x: number | null) => (x === null ? '-' : x.toFixed(1));
        emit(g, rows, () =>
          table([
            ['VIEW', 'KIND', 'NEWEST VALUE AGE S', 'LAST WRITE AGE S', 'PENDING', 'UNDELIVERED'],
            ...rows.map((r) => [
              r.view,
              r.kind,
              fmt(r.newestValueAgeSeconds),
              fmt(r.lastWriteAgeSeconds),
              r.consumerLag ? String(r.consumerLag.pending) : '-',
              r.consumerLag?.undelivered == null ? '-' : String(r.consumerLag.undelivered),
            ]),
          ]),
        );
      });
    });

  program
    .command('stream-backfill')
    .description("compute a stream view's offline rows from historical events with DuckDB (the same aggregation code as the worker)")
    .argument('<view>', 'stream feature view')
    .requiredOption('--events <path>', 'Parquet path or glob of historical events')
    .option('--end <time>', 'only events before this time')
    .action(async (viewName: string, opts: { events: string; end?: string }, cmd: Command) => {
      const g = globalsOf(cmd);
      await withStore(g, async (store) => {
        const view = await store.registry.getFeatureView(viewName);
        const { backfillStreamView } = (await import('@frec/offline/stream-backfill')) as typeof import('@frec/offline/stream-backfill');
        const res = await backfillStreamView(view, {
          events: store.resolvePath(opts.events),
          offline: await store.offlineStore(),
          ...(opts.end ? { end: parseCliTime(opts.end, '--end') } : {}),
          onProgress: (p) => !g.json && process.stderr.write(`backfill view=${view.name} events=${p.events} rows=${p.rows}\n`),
        });
        emit(
          g,
          { view: view.name, events: res.events, rows: res.rows, entities: res.entities, invalid: res.invalid },
          () => `Backfilled ${res.rows} rows of '${view.name}' from ${res.events} events (${res.entities} entities).`,
        );
      });
    });
}
