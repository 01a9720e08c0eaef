import path from 'node:path';
import type { Command } from 'commander';
import { ConfigError, FeatureStore } from '@frec/core';
import { createConsoleServer, DEFAULT_CONSOLE_PORT, urlSource } from '@frec/ui';
import { BUILT_IN_PLUGINS } from '../context.js';
import { globalsOf } from '../output.js';

function intOption(name: string, min: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min)
      throw new ConfigError(`--${name} must be an integer >= ${min}, got '${v}'.`, { where: { option: name } });
    return n;
  };
}

const collect = (v: string, all: string[] = []): string[] => [...all, v];

/** `--stage-budget ranking=80` -> { ranking: 80 }. */
function budgets(values: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) {
    const m = /^([A-Za-z0-9_]+)=(\d+(?:\.\d+)?)$/.exec(v);
    if (!m)
      throw new ConfigError(`--stage-budget must look like stage=milliseconds, got '${v}'.`, {
        where: { option: 'stage-budget' },
        hint: 'For example --stage-budget ranking=80.',
      });
    out[m[1]!] = Number(m[2]);
  }
  return out;
}

interface UiOptions {
  host: string;
  port: number;
  apiKey: string[];
  metricsUrl: string[];
  modelRegistry?: string;
  featureLog?: string;
  skewReports?: string;
  maxLag?: number;
  stageBudget: string[];
  logLevel: string;
}

/** Registers `frec ui`: the web console over the repo (catalog, lineage, freshness, drift, serving, models, history). */
export function registerUiCommand(program: Command): void {
  program
    .command('ui')
    .description(
      'Serve the web console for the repo: catalog, lineage, freshness, drift, serving latency, models and registry history (pages at /ui/, JSON at /api/)',
    )
    .option('--host <host>', 'interface to bind (loopback unless you choose otherwise)', '127.0.0.1')
    .option('-p, --port <port>', `port (0 picks a free one)`, intOption('port', 0), DEFAULT_CONSOLE_PORT)
    .option('--api-key <key>', 'accept this API key (repeatable), beside feature_server.api_keys and $FREC_API_KEYS', collect, [])
    .option('--metrics-url <url>', 'a /metrics URL for the serving page, e.g. the feature server or recommender (repeatable)', collect, [])
    .option(
      '--model-registry <location>',
      'model registry folder or s3://bucket/prefix (default: $FREC_MODEL_REGISTRY or <repo>/data/models)',
    )
    .option('--feature-log <dir>', 'feature-log folder (default: feature_server.feature_logging.path or data/monitoring/feature-log)')
    .option('--skew-reports <dir>', 'daily skew-report folder (default: data/monitoring/skew)')
    .option('--max-lag <n>', 'consumer lag shown as lagging past this many messages (default 1000)', intOption('max-lag', 0))
    .option('--stage-budget <stage=ms>', 'latency budget of a recommender stage, shown beside its percentiles (repeatable)', collect, [])
    .option('--log-level <level>', 'fatal|error|warn|info|debug', 'warn')
    .addHelpText(
      'after',
      [
        '',
        'The console reads the registry, the online store, the offline sources (DuckDB), the model registry,',
        'the feature log and skew reports, and the metrics URLs; it writes nothing. Its /api/ needs one of the',
        "repo's API keys when any is configured; the browser asks for it. --json prints the startup line as JSON.",
        'Example:',
        '  frec ui --port 6567 --metrics-url http://127.0.0.1:6566/metrics',
        '  (or mount the same pages in the feature server: frec serve --ui)',
      ].join('\n'),
    )
    .action(async (opts: UiOptions, cmd: Command) => {
      const g = globalsOf(cmd);
      const store = await FeatureStore.open({ repoPath: path.resolve(g.chdir ?? process.cwd()), plugins: BUILT_IN_PLUGINS });
      const keys = [...opts.apiKey];
      const scrapeKey = keys[0] ?? (process.env.FREC_API_KEYS ?? '').split(/[\s,]+/).find(Boolean);
      const server = await createConsoleServer(store, {
        host: opts.host,
        port: opts.port,
        apiKeys: keys,
        logLevel: opts.logLevel,
        // A feature server's /metrics sits behind the same keys the console accepts.
        metrics: opts.metricsUrl.map((u) => urlSource(u, scrapeKey ? { headers: { authorization: `Bearer ${scrapeKey}` } } : {})),
        stageBudgetsMs: budgets(opts.stageBudget),
        ...(opts.modelRegistry ? { modelRegistry: opts.modelRegistry } : {}),
        ...(opts.featureLog ? { featureLogDir: opts.featureLog } : {}),
        ...(opts.skewReports ? { skewReportDir: opts.skewReports } : {}),
        ...(opts.maxLag !== undefined ? { maxLag: opts.maxLag } : {}),
      });
      let bound: { url: string; host: string; port: number };
      try {
        bound = await server.listen();
      } catch (err) {
        await store.close();
        const e = err as { code?: string };
        if (e.code === 'EADDRINUSE' || e.code === 'EACCES' || e.code === 'EADDRNOTAVAIL') {
          throw new ConfigError(`Cannot listen on ${opts.host}:${opts.port} (${e.code}).`, {
            where: { host: opts.host, port: opts.port },
            hint: e.code === 'EADDRINUSE' ? 'Another process uses that port: pass --port, or stop it.' : 'Pick another --host/--port.',
          });
        }
        throw err;
      }
      const line = {
        url: bound.url,
        host: bound.host,
        port: bound.port,
        project: store.project,
        auth: server.authRequired,
        pid: process.pid,
      };
      process.stdout.write(
        g.json
          ? `${JSON.stringify(line)}\n`
          : `frec console for project '${store.project}' at ${bound.url}${server.authRequired ? ' (API key required)' : ''}\n`,
      );
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await server.close();
      await store.close();
      setTimeout(() => process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0), 2000).unref();
    });
}
