import Fastify, { type FastifyInstance } from 'fastify';
import type { FeatureStore } from '@frec/core';
import { ApiKeyAuth, resolveServerOptions, serverConfigOf } from '@frec/feature-server';
import { publicError } from './console-errors.js';
import type { ConsoleOptions } from './console-context.js';
import { mountConsole } from './mount-console.js';

/** Options of the standalone console (`frec ui`). */
export interface ConsoleServerOptions extends ConsoleOptions {
  /** Interface to bind (default 127.0.0.1: never exposed by accident). */
  host?: string;
  /** TCP port (default 6567; 0 picks a free one). */
  port?: number;
  /** API keys, added to feature_server.api_keys and $FREC_API_KEYS: the console honours the server's keys. */
  apiKeys?: readonly string[];
  /** pino log level (default 'info'). */
  logLevel?: string;
  logStream?: NodeJS.WritableStream;
}

/** A running standalone console. */
export interface ConsoleServer {
  readonly app: FastifyInstance;
  /** Whether an API key is required (some key is configured). */
  readonly authRequired: boolean;
  listen(): Promise<{ url: string; host: string; port: number }>;
  close(): Promise<void>;
}

/** The standalone console's default port, one above the feature server's. */
export const DEFAULT_CONSOLE_PORT = 6567;

/**
 * The console on its own HTTP server, for `frec ui`: the same pages and API as `frec serve --ui`,
 * behind the same API keys (feature_server.api_keys, $FREC_API_KEYS, --api-key), on loopback by default.
 * @example
 * const ui = await createConsoleServer(store, { port: 0, metrics: [urlSource('http://127.0.0.1:6566/metrics')] });
 * const { url } = await ui.listen();
 */
export async function createConsoleServer(store: FeatureStore, options: ConsoleServerOptions = {}): Promise<ConsoleServer> {
  const section = serverConfigOf(store.config);
  const resolved = resolveServerOptions(section, {
    ...(options.apiKeys ? { apiKeys: options.apiKeys } : {}),
    ...(options.env ? { env: options.env } : {}),
  });
  const auth = new ApiKeyAuth(resolved.apiKeys);
  const app = Fastify({
    logger: { level: options.logLevel ?? 'info', ...(options.logStream ? { stream: options.logStream } : {}) },
    requestTimeout: 30_000,
    forceCloseConnections: true,
  });
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.config?.public !== true) auth.check(request.headers);
  });
  app.setErrorHandler(async (err, request, reply) => {
    const { status, error } = publicError(err);
    if (status >= 500) request.log.error({ err }, 'console request failed');
    reply.code(status);
    return { error };
  });
  app.get('/', { config: { public: true } }, async (_req, reply) => reply.redirect('/ui/'));
  await mountConsole(app, store, {
    ...options,
    featureServerUrl:
      options.featureServerUrl ?? `http://${section.host.includes(':') ? `[${section.host}]` : section.host}:${section.port}`,
  });
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? DEFAULT_CONSOLE_PORT;
  return {
    app,
    authRequired: !auth.disabled,
    async listen() {
      await app.listen({ host, port });
      const addr = app.server.address();
      const bound = typeof addr === 'object' && addr ? addr.port : port;
      return { url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}/ui/`, host, port: bound };
    },
    close: () => app.close(),
  };
}
