import type { FastifyInstance } from 'fastify';
import type { FeatureStore } from '@frec/core';

/** What /ready found, check by check. */
export interface ReadyReport {
  status: 'ready' | 'not_ready';
  checks: { registry: string; online_store: string; draining?: boolean };
}

function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

/** Checks that the registry is loaded and the online store answers, each within `timeoutMs`. */
export async function checkReady(store: FeatureStore, timeoutMs: number): Promise<ReadyReport> {
  const [registry, online] = await Promise.all([
    withDeadline(store.registry.snapshot(), timeoutMs, 'registry')
      .then((s) => (s ? `ok (generation ${s.data.generation})` : 'nothing applied yet: run `frec apply`'))
      .catch((e: Error) => `error: ${e.message}`),
    withDeadline(
      store.onlineStore().then((s) => s.ping()),
      timeoutMs,
      'online store',
    )
      .then(() => 'ok')
      .catch((e: Error) => `error: ${e.message}`),
  ]);
  const ok = registry.startsWith('ok') && online === 'ok';
  return { status: ok ? 'ready' : 'not_ready', checks: { registry, online_store: online } };
}

/** GET /health (the process answers) and GET /ready (registry loaded and online store reachable). */
export function registerHealthRoutes(
  app: FastifyInstance,
  deps: { store: FeatureStore; timeoutMs: number; draining: () => boolean },
): void {
  app.get('/health', async () => ({ status: 'ok' }));
  app.get('/ready', async (_request, reply) => {
    if (deps.draining()) {
      reply.code(503);
      return { status: 'not_ready', checks: { registry: 'skipped', online_store: 'skipped', draining: true } } satisfies ReadyReport;
    }
    const report = await checkReady(deps.store, deps.timeoutMs);
    reply.code(report.status === 'ready' ? 200 : 503);
    return report;
  });
}
