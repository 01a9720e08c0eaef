import type { FastifyInstance } from 'fastify';
import type { FeatureStore } from '@frec/core';
import { createConsoleContext, type ConsoleContext, type ConsoleOptions } from './console-context.js';
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
 * const server = await createFeatureServer(store, { extensions: [(app) => mountConsole(app, store)] });
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
