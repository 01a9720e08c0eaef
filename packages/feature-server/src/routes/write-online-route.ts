import type { FastifyInstance } from 'fastify';
import type { FeatureStore } from '@frec/core';
import { timestampColumnsOf } from '@frec/core/spi';
import { columnsToRows, parseBody, writeToOnlineBody } from '../request-schemas.js';

const ROUTE = '/write-to-online-store';

/** An ISO time without a zone, as Feast's remote client sends (`_to_naive_utc(ts).isoformat()`): it is UTC. */
const NAIVE_ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?$/;
const asUtc = (v: unknown): unknown => (typeof v === 'string' && NAIVE_ISO.test(v) ? `${v}Z` : v);

/**
 * POST /write-to-online-store: Feast's write route, which its remote online store client calls
 * (`online_write_batch`) with the view's join keys and features as columns and the times in
 * `event_timestamp` and `created`, whatever the source calls them. Validated like writeToOnlineStore.
 */
export function registerWriteOnlineRoute(app: FastifyInstance, deps: { store: FeatureStore; maxEntities: number }): void {
  app.post(ROUTE, async (request) => {
    const body = parseBody(writeToOnlineBody, request.body, ROUTE);
    const view = await deps.store.registry.getFeatureView(body.feature_view_name);
    const ts = timestampColumnsOf(view);
    const rows = columnsToRows(body.df, { route: ROUTE, field: 'df', maxRows: deps.maxEntities }).map((row) => {
      const out: Record<string, unknown> = { ...row };
      if ('event_timestamp' in row) {
        delete out.event_timestamp;
        out[ts.event] = asUtc(row.event_timestamp);
      }
      if ('created' in row) {
        delete out.created;
        if (ts.created !== undefined && row.created !== null) out[ts.created] = asUtc(row.created);
      }
      return out;
    });
    const result = await deps.store.writeToOnlineStore(view.name, rows);
    return { feature_view_name: view.name, rows: rows.length, result };
  });
}
