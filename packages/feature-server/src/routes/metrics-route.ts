import type { FastifyInstance } from 'fastify';
import type { ServerMetrics } from '../server-metrics.js';

/** GET /metrics in the Prometheus text format; `render` may aggregate several processes. */
export function registerMetricsRoute(
  app: FastifyInstance,
  metrics: ServerMetrics,
  render: () => Promise<string> = () => metrics.render(),
): void {
  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', metrics.contentType);
    return render();
  });
}
