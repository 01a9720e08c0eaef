import type { FastifyInstance } from 'fastify';
import type { FeatureStore } from '@frec/core';
import { columnsToRows, parseBody, pushBody } from '../request-schemas.js';

const ROUTE = '/push';

/** POST /push: Feast's push request (`push_source_name`, `df` as columns, `to`) over FeatureStore.push. */
export function registerPushRoute(app: FastifyInstance, deps: { store: FeatureStore; maxEntities: number }): void {
  app.post(ROUTE, async (request) => {
    const body = parseBody(pushBody, request.body, ROUTE);
    const rows = columnsToRows(body.df, { route: ROUTE, field: 'df', maxRows: deps.maxEntities });
    const result = await deps.store.push(body.push_source_name, rows, { to: body.to as 'online' | 'offline' | 'online_and_offline' });
    return { push_source_name: body.push_source_name, to: body.to, rows: rows.length, result: result ?? null };
  });
}
