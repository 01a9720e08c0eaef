import type { FastifyInstance } from 'fastify';
import type { FeatureStore } from '@frec/core';
import type { FeatureServerExtension } from '@frec/feature-server';
import { createConsoleContext, type ConsoleContext, type ConsoleOptions } from './console-context.js';
import { registrySource } from './metrics/metric-sources.js';
import { registerApiRoutes } from './routes/api-routes.js';
import { registerStaticRoutes } from './routes/static-routes.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A route any client may call without an API key (the console's static pages). */
    public?: boolean;
  }
}

/**
 * Adds the console to a fastify app: the pages under /ui/ (public) and the read-only JSON API
 * under /api/, which sits behind whatever auth hook the app has (the feature server's API keys).
 * @example
 * const app = Fastify();
 * await mountConsole(app, store, { metrics: [urlSource('http://127.0.0.1:6566/metrics')] });
 */
export async function mountConsole(app: FastifyInstance, store: FeatureStore, options: ConsoleOptions = {}): Promise<ConsoleContext> {
  const ctx = createConsoleContext(store, options);
  registerStaticRoutes(app);
  await registerApiRoutes(app, ctx);
  app.addHook('onClose', async () => {
    await ctx.duck.close();
  });
  return ctx;
}

/**
 * The console as a feature-server extension (`frec serve --ui`): mounted before the server listens,
 * behind its API keys, with its own Prometheus registry as the serving page's first source.
 * @example await createFeatureServer(store, { extensions: [consoleExtension()] });
 */
export function consoleExtension(options: ConsoleOptions = {}): FeatureServerExtension {
  return async (app, { store, metrics }) => {
    await mountConsole(app, store, {
      ...options,
      metrics: [registrySource('feature-server', metrics.registry), ...(options.metrics ?? [])],
    });
    app.log.info({ path: '/ui/' }, 'web console mounted');
  };
}
