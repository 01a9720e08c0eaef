import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { FeatureStore } from '@frec/core';
import { resolveRepoPath } from '@frec/core/spi';
import { FeatureLogger } from '@frec/monitoring';
import { ApiKeyAuth } from './auth.js';
import { quoteUnsafeIntegers } from './big-ints.js';
import { FeatureServerErrorCode } from './errors.js';
import { clusterMetricsSource } from './cluster-metrics.js';
import { toHttpError } from './http-errors.js';
import { InstrumentedOnlineStore } from './instrument-store.js';
import { LogLimiter, suppressedSuffix } from './log-limiter.js';
import { registerHealthRoutes } from './routes/health-routes.js';
import { registerMetricsRoute } from './routes/metrics-route.js';
import { registerOnlineFeaturesRoute } from './routes/online-features-route.js';
import { registerPushRoute } from './routes/push-route.js';
import { registerWriteOnlineRoute } from './routes/write-online-route.js';
import { resolveServerOptions, type FeatureServerOptions, type ResolvedServerOptions } from './server-options.js';
import { ServerMetrics } from './server-metrics.js';
import { StoreGuard } from './store-guard.js';
import { serverConfigOf } from './server-config.js';

/** Routes any client may call without a key: orchestrators probe them. */
const OPEN_ROUTES = new Set(['/health', '/ready']);

/** A feature server bound to one FeatureStore. */
export interface FeatureServer {
  /** The fastify app (for `inject` in tests, or extra routes). */
  readonly app: FastifyInstance;
  readonly metrics: ServerMetrics;
  readonly options: ResolvedServerOptions;
  /** The sampled feature log, when `feature_logging` is configured. */
  readonly featureLog: FeatureLogger | undefined;
  /** Starts listening; resolves to the bound address. */
  listen(): Promise<{ url: string; host: string; port: number }>;
  /** Stops accepting requests, waits for in-flight ones (up to shutdownTimeoutMs), then closes. */
  close(): Promise<void>;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The frec error code of a failed request, for metrics and the access log. */
    frecErrorCode: string | null;
    /** The route's path, set by a hot route so the access hook need not build `routeOptions` (a new object per read). */
    frecRoute: string | null;
  }
  interface FastifyContextConfig {
    /** A route any client may call without an API key (an extension's static pages, which hold no data). */
    public?: boolean;
  }
}

/**
 * Builds the HTTP feature server: Feast's /get-online-features and /push shapes, /health,
 * /ready and /metrics, with API-key auth, body and entity limits and structured JSON logs.
 * @example
 * const store = await FeatureStore.open({ repoPath: 'feature_repo' });
 * const server = await createFeatureServer(store, { port: 6566 });
 * await server.listen();
 */
export async function createFeatureServer(store: FeatureStore, options: FeatureServerOptions = {}): Promise<FeatureServer> {
  const section = serverConfigOf(store.config);
  const opts = resolveServerOptions(section, options);
  const auth = new ApiKeyAuth(opts.apiKeys);
  const metrics = new ServerMetrics({
    registryAgeSeconds: () => store.registry.ageSeconds(),
    skewReportDir: resolveRepoPath(store.config, section.skew_report_path),
  });
  const logging = options.featureLogging ?? section.feature_logging;
  const featureLog =
    logging && logging.sample_rate > 0
      ? new FeatureLogger({
          dir: resolveRepoPath(store.config, logging.path),
          sampleRate: logging.sample_rate,
          writer: 'feature-server',
          flushRows: logging.flush_rows,
          flushIntervalMs: logging.flush_interval_seconds * 1000,
          random: options.random,
        })
      : undefined;
  const guard = new StoreGuard({ timeoutMs: opts.storeTimeoutMs, threshold: opts.breakerThreshold, resetMs: opts.breakerResetMs });
  let draining = false;

  const app = Fastify({
    logger: { level: opts.logLevel, ...(opts.logStream ? { stream: opts.logStream } : {}) },
    // One access line per request comes from the onResponse hook below, with route and error code.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: opts.maxBodyBytes,
    requestIdHeader: 'x-request-id',
    // Slow-loris protection: a request must arrive whole within this time.
    requestTimeout: 30_000,
    forceCloseConnections: 'idle',
    return503OnClosing: true,
  });
  app.decorateRequest('frecErrorCode', null);
  app.decorateRequest('frecRoute', null);
  // One line per kind of server failure per window, with a count of the ones held back.
  const errorLog = new LogLimiter(opts.errorLogWindowMs, (key, held) => {
    const [what, route, status, code] = key.split('|');
    app.log.error({ route, status: Number(status), code: code || undefined, suppressed: held.count }, `${what}${suppressedSuffix(held)}`);
  });

  // Feast's own curl examples send JSON without a JSON content type, so every body is read as JSON,
  // with fastify's prototype-poisoning protection on.
  app.removeAllContentTypeParsers();
  const json = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('*', { parseAs: 'string' }, (request, body, done) => {
    // A request no route takes is answered 404 or 405 whatever its body holds.
    if (request.is404) return done(null, undefined);
    const text = quoteUnsafeIntegers(body as string);
    // A body with no backslash, no BOM and neither poisoning key cannot carry '__proto__' or
    // 'constructor' in any spelling, so it skips secure-json-parse's two regex scans; anything
    // else, and any body JSON.parse refuses, goes to fastify's parser, which words the error.
    if (
      text.length > 0 &&
      text.charCodeAt(0) !== 0xfeff &&
      !text.includes('\\') &&
      !text.includes('__proto__') &&
      !text.includes('constructor')
    ) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        return json(request, text, done);
      }
      return done(null, parsed);
    }
    json(request, text, done);
  });
  // The methods of each path, so a known path with another method answers 405 with an Allow header.
  const methodsOf = new Map<string, Set<string>>();
  app.addHook('onRoute', (route) => {
    const set = methodsOf.get(route.url) ?? new Set<string>();
    for (const m of [route.method].flat()) set.add(m);
    methodsOf.set(route.url, set);
  });

  // Hooks take fastify's callback form: an async hook costs a promise and a microtask hop per
  // request on a path whose whole budget is tens of microseconds (docs/profiles/feature-server.md).
  // With no key configured there is nothing to check: no hook, so no hook runner per request.
  if (!auth.disabled) {
    app.addHook('onRequest', (request, _reply, done) => {
      const route = request.routeOptions;
      if (OPEN_ROUTES.has(route.url ?? '') || route.config?.public === true) return done();
      try {
        auth.check(request.headers);
      } catch (err) {
        return done(err as Error);
      }
      done();
    });
  }

  // While draining, tell keep-alive clients to go and close each connection once its response is out,
  // so close() ends when the last in-flight request does instead of at the shutdown timeout.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (draining) reply.header('connection', 'close');
    done(null, payload);
  });

  const debugEnabled = app.log.level === 'debug' || app.log.level === 'trace';
  app.addHook('onResponse', (request, reply, done) => {
    if (draining) setImmediate(() => app.server.closeIdleConnections());
    const route = request.frecRoute ?? request.routeOptions.url ?? 'unmatched';
    const status = reply.statusCode;
    const ms = reply.elapsedTime;
    metrics.observeRequest(route, request.method, status, ms / 1000);
    // A successful request logs only at debug level: its line is not even built otherwise.
    if (status >= 400 || debugEnabled) {
      const line = { route, method: request.method, status, ms: Math.round(ms * 100) / 100, code: request.frecErrorCode ?? undefined };
      if (status >= 500) {
        const held = errorLog.admit(`request failed|${route}|${status}|${line.code ?? ''}`);
        if (held) request.log.error(held.count > 0 ? { ...line, suppressed: held.count } : line, `request failed${suppressedSuffix(held)}`);
      } else if (status >= 400) request.log.info(line, 'request rejected');
      else request.log.debug(line, 'request');
    }
    done();
  });

  app.setErrorHandler(async (err, request, reply) => {
    const { status, error } = toHttpError(err);
    request.frecErrorCode = error.code;
    metrics.errors.inc({ route: request.routeOptions.url ?? 'unmatched', code: error.code });
    if (status >= 500 && status !== 503) {
      const held = errorLog.admit(`internal error|${request.routeOptions.url ?? 'unmatched'}|${status}|${error.code}`);
      if (held) request.log.error({ err: (error.cause as Error | undefined) ?? error }, `internal error${suppressedSuffix(held)}`);
    }
    reply.code(status);
    return { error: error.toJSON() };
  });

  app.setNotFoundHandler(async (request, reply) => {
    const pathname = request.url.split('?')[0]!;
    const allowed = methodsOf.get(pathname);
    if (allowed) {
      const allow = [...allowed].sort().join(', ');
      request.frecErrorCode = FeatureServerErrorCode.METHOD_NOT_ALLOWED;
      metrics.errors.inc({ route: pathname, code: FeatureServerErrorCode.METHOD_NOT_ALLOWED });
      reply.code(405).header('allow', allow);
      return {
        error: {
          code: FeatureServerErrorCode.METHOD_NOT_ALLOWED,
          message: `${pathname} does not take ${request.method}.`,
          hint: `Use ${allow}.`,
          where: { route: pathname },
        },
      };
    }
    request.frecErrorCode = 'INVALID_REQUEST';
    metrics.errors.inc({ route: 'unmatched', code: 'INVALID_REQUEST' });
    reply.code(404);
    return {
      error: {
        code: 'INVALID_REQUEST',
        message: `No route ${request.method} ${request.url.split('?')[0]}.`,
        hint: 'Routes: POST /get-online-features, POST /push, POST /write-to-online-store, GET /health, GET /ready, GET /metrics.',
        where: {},
      },
    };
  });

  registerOnlineFeaturesRoute(app, { store, guard, metrics, maxEntities: opts.maxEntities, featureLog });
  registerPushRoute(app, { store, maxEntities: opts.maxEntities });
  registerWriteOnlineRoute(app, { store, maxEntities: opts.maxEntities });
  registerHealthRoutes(app, { store, timeoutMs: opts.storeTimeoutMs, draining: () => draining });
  registerMetricsRoute(app, metrics, opts.clusterMetrics ? clusterMetricsSource(metrics.registry) : undefined);
  // Extensions (the web console) add routes behind the same auth hook, seeing this server's metrics.
  for (const extend of options.extensions ?? []) await extend(app, { store, metrics });

  // Every read and write of this store goes through the metrics decorator, once; a store that
  // cannot be created yet is decorated when the first read creates it.
  store.decorateOnlineStore('feature-server-metrics', (s) => new InstrumentedOnlineStore(s, metrics));
  await store.onlineStore().catch((err: Error) => app.log.warn({ err: err.message }, 'online store not available at start'));

  let closing: Promise<void> | undefined;
  return {
    app,
    metrics,
    options: opts,
    featureLog,
    async listen() {
      await app.listen({ host: opts.host, port: opts.port });
      const addr = app.server.address();
      const port = typeof addr === 'object' && addr ? addr.port : opts.port;
      const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
      const url = `http://${host}:${port}`;
      app.log.info({ url, pid: process.pid, project: store.project, auth: !auth.disabled }, 'feature server listening');
      return { url, host: opts.host, port };
    },
    close() {
      closing ??= (async () => {
        draining = true;
        app.log.info('draining: no new requests, waiting for in-flight ones');
        const force = setTimeout(() => app.server.closeAllConnections(), opts.shutdownTimeoutMs);
        force.unref();
        try {
          await app.close();
        } finally {
          clearTimeout(force);
          errorLog.flushAll();
          // Logged values still buffered are written before the process goes.
          await featureLog?.close();
          if (opts.closeStore) await store.close();
        }
      })();
      return closing;
    },
  };
}
