import type { FastifyInstance } from 'fastify';
import { ErrorCode, FrecError, type FeatureStore } from '@frec/core';
import { columnsToRows, parseBody, pushBody } from '../request-schemas.js';

const ROUTE = '/push';

/** The push method FeatureStore gains with the materialization change; looked up at run time. */
type PushFn = (
  source: string,
  rows: Array<Record<string, unknown>>,
  options: { to: 'online' | 'offline' | 'online_and_offline' },
) => Promise<unknown>;

/** POST /push: Feast's push request (`push_source_name`, `df` as columns, `to`) over FeatureStore.push. */
export function registerPushRoute(app: FastifyInstance, deps: { store: FeatureStore; maxEntities: number }): void {
  app.post(ROUTE, async (request) => {
    const body = parseBody(pushBody, request.body, ROUTE);
    const rows = columnsToRows(body.df, { route: ROUTE, field: 'df', maxRows: deps.maxEntities });
    const push = (deps.store as unknown as { push?: PushFn }).push;
    if (typeof push !== 'function') {
      throw new FrecError(ErrorCode.NOT_IMPLEMENTED, 'This build of frec has no FeatureStore.push.', { hint: 'Upgrade @frec/core.' });
    }
    const result = await push.call(deps.store, body.push_source_name, rows, { to: body.to as 'online' | 'offline' | 'online_and_offline' });
    return { push_source_name: body.push_source_name, to: body.to, rows: rows.length, result: result ?? null };
  });
}
