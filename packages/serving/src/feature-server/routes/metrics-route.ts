import type { FastifyInstance } from 'fastify';
import type { ServerMetrics } from '../server-metrics.js';

/** GET /metrics in the Prometheus text format. */
export function registerMetricsRoute(app: FastifyInstance, metrics: ServerMetrics): void {
  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', metrics.contentType);
    return metrics.render();
  });
}
