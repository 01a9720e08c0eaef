import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { ErrorCode, FrecError, RequestError } from '@frec/core';
import type { Recommender } from '../recommender.js';
import type { RecommendRequest } from '../types.js';

/** Options of the recommendation HTTP server. */
export interface RecommendServerOptions {
  recommender: Recommender;
  /** Largest `count` a client may ask for (default 100). */
  maxCount?: number;
  logger?: boolean;
  /** Where an unexpected error is reported (default: the fastify log when `logger` is on, else stderr); the client only sees INTERNAL. */
  onInternalError?: (err: unknown, request: FastifyRequest) => void;
}

/**
 * Builds the HTTP app: `POST /recommendations` ({ userId, context: { device, timeMs }, count }),
 * `GET /metrics` (Prometheus), `GET /health`.
 */
export function createRecommendServer(options: RecommendServerOptions): FastifyInstance {
  const app = Fastify({ logger: options.logger ?? false, bodyLimit: 64 * 1024 });
  const rec = options.recommender;
  const report =
    options.onInternalError ??
    ((err: unknown, req: FastifyRequest) => {
      if (options.logger) req.log.error({ err }, 'internal error');
      else process.stderr.write(`recommend server: internal error on ${req.method} ${req.url}: ${(err as Error)?.stack ?? String(err)}\n`);
    });
  app.setErrorHandler((err, req, reply) => {
    const fe = responseError(err);
    if (fe.code === ErrorCode.INTERNAL) report(err, req);
    void reply.status(fe.httpStatus).send({ error: fe.toJSON() });
  });
  app.post('/recommendations', async (req) => rec.recommend(parseRequest(req.body, options.maxCount ?? 100)));
  app.get('/metrics', async (_req, reply) => {
    void reply.header('content-type', rec.metrics.registry.contentType);
    return rec.metrics.text();
  });
  app.get('/health', async () => ({ status: 'ok' }));
  return app;
}

/**
 * What a client is told about an error: frec's own errors and fastify's client errors (bad JSON, a
 * body too large) as they are; anything unexpected as a generic INTERNAL, whose message may hold
 * internals (paths, addresses, stack details) and is only logged.
 */
function responseError(err: unknown): FrecError {
  if (err instanceof FrecError) return err;
  const status = (err as { statusCode?: number }).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500)
    return new RequestError(ErrorCode.INVALID_REQUEST, (err as Error).message, { httpStatus: status });
  return new FrecError(ErrorCode.INTERNAL, 'Internal error while answering the request; see the server log.');
}

/** Validates a request body; bad input gets a 400 naming the field. */
export function parseRequest(body: unknown, maxCount = 100): RecommendRequest {
  const bad = (field: string, what: string): never => {
    throw new RequestError(ErrorCode.INVALID_REQUEST, `Invalid recommendation request: '${field}' ${what}.`, {
      hint: 'Send JSON like {"userId": 42, "count": 20, "context": {"device": "tv"}}.',
      where: { field },
    });
  };
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return bad('body', 'must be a JSON object');
  const b = body as Record<string, unknown>;
  const userId = b.userId ?? b.user_id;
  if (!(typeof userId === 'string' && userId.length > 0) && !(typeof userId === 'number' && Number.isFinite(userId))) {
    return bad('userId', 'is required and must be a non-empty string or a number');
  }
  let count = 20;
  if (b.count !== undefined) {
    if (typeof b.count !== 'number' || !Number.isInteger(b.count) || b.count < 1 || b.count > maxCount)
      return bad('count', `must be an integer from 1 to ${maxCount}`);
    count = b.count;
  }
  const context: RecommendRequest['context'] = {};
  if (b.context !== undefined) {
    if (typeof b.context !== 'object' || b.context === null) return bad('context', 'must be an object');
    const c = b.context as Record<string, unknown>;
    if (c.device !== undefined) {
      if (typeof c.device !== 'string') return bad('context.device', 'must be a string');
      context.device = c.device;
    }
    const t = c.timeMs ?? c.time;
    if (t !== undefined) {
      const ms = typeof t === 'string' ? Date.parse(t) : t;
      if (typeof ms !== 'number' || !Number.isFinite(ms)) return bad('context.timeMs', 'must be epoch milliseconds or an ISO date');
      context.timeMs = ms;
    }
  }
  return { userId, count, context };
}
