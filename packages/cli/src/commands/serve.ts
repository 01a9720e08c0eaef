import { globalsOf } from '../output.js';
import path from 'node:path';
import type { Command } from 'commander';
import { ConfigError } from '@frec/core';
import { serveFeatureRepo } from '@frec/feature-server';
import { BUILT_IN_PLUGINS } from '../context.js';

function intOption(name: string, min: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) {
      throw new ConfigError(`--${name} must be an integer >= ${min}, got '${v}'.`, { where: { option: name } });
    }
    return n;
  };
}

/** Registers `frec serve`: the HTTP feature server (Feast's JSON shapes) for the repo. */
export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('Serve features over HTTP: POST /get-online-features, POST /push, GET /health, /ready, /metrics (JSON logs on stdout)')
    .option('--host <host>', 'interface to bind (default: feature_server.host, 127.0.0.1)')
    .option('-p, --port <port>', 'port (default: feature_server.port, 6566; 0 picks a free one)', intOption('port', 0))
    .option('-w, --workers <n>', 'worker processes sharing the port (node:cluster)', intOption('workers', 1), 1)
    .option('--log-level <level>', 'fatal|error|warn|info|debug (debug logs every request)', 'info')
    .option('--store-timeout-ms <ms>', 'answer 503 when an online read takes longer', intOption('store-timeout-ms', 1))
    .option('--ui', 'also serve the web console (pages at /ui/, JSON at /api/, behind the same API keys; see frec ui)')
    .addHelpText(
      'after',
      '\nAPI keys: feature_server.api_keys in feature_store.yaml, or env FREC_API_KEYS (comma-separated).\nExample:\n  frec serve --port 6566\n  curl -s localhost:6566/get-online-features -d \'{"features":["driver_hourly_stats:conv_rate"],"entities":{"driver_id":[1001]}}\'',
    )
    .action(
      async (
        opts: { host?: string; port?: number; workers: number; logLevel: string; storeTimeoutMs?: number; ui?: boolean },
        cmd: Command,
      ) => {
        const g = globalsOf(cmd);
        // Loaded only when asked: the console brings DuckDB and its pages.
        const extensions = opts.ui ? [(await import('@frec/ui')).consoleExtension()] : [];
        await serveFeatureRepo({
          extensions,
          repoPath: path.resolve(g.chdir ?? process.cwd()),
          plugins: BUILT_IN_PLUGINS,
          workers: opts.workers,
          logLevel: opts.logLevel,
          ...(opts.host !== undefined ? { host: opts.host } : {}),
          ...(opts.port !== undefined ? { port: opts.port } : {}),
          ...(opts.storeTimeoutMs !== undefined ? { storeTimeoutMs: opts.storeTimeoutMs } : {}),
        });
        // Drained and closed: a client library's stray handle must not keep the process up.
        setTimeout(() => process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0), 2000).unref();
      },
    );
}
