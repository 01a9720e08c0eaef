import type { FastifyInstance } from 'fastify';
import type { FeatureStore } from '@frec/core';
import { toFeastResponse } from '../feast-response.js';
import { checkColumns, getOnlineFeaturesBody, parseBody } from '../request-schemas.js';
import type { ServerMetrics } from '../server-metrics.js';
import type { StoreGuard } from '../store-guard.js';

const ROUTE = '/get-online-features';

/** POST /get-online-features: Feast's request and response shapes over FeatureStore.getOnlineFeatures. */
export function registerOnlineFeaturesRoute(
  app: FastifyInstance,
  deps: { store: FeatureStore; guard: StoreGuard; metrics: ServerMetrics; maxEntities: number },
): void {
  app.post(ROUTE, async (request, reply) => {
    const body = parseBody(getOnlineFeaturesBody, request.body, ROUTE);
    // Join keys and request-data fields ride in the same columns, as in Feast; the SDK reads the
    // columns as they are, with no row object per entity.
    const n = checkColumns(body.entities, { route: ROUTE, field: 'entities', maxRows: deps.maxEntities });
    deps.metrics.entitiesRequested.inc(n);
    const selector = body.feature_service !== undefined ? { featureService: body.feature_service } : { features: body.features! };
    const res = await deps.guard.run(() =>
      deps.store.getOnlineFeatures({ ...selector, entities: body.entities, fullFeatureNames: body.full_feature_names }),
    );
    if (res.errors.length > 0) {
      request.log.warn(
        {
          rowErrors: res.errors
            .slice(0, 10)
            .map((e) => ({ row: e.row, featureView: e.featureView, code: e.error.code, message: e.error.message })),
        },
        'stored rows could not be read',
      );
    }
    reply.header('content-type', 'application/json; charset=utf-8');
    return JSON.stringify(toFeastResponse(res));
  });
}
