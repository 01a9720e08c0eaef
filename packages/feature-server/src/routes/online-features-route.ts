import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { FeatureStore, OnlineFeaturesResponse } from '@frec/core';
import { getOnlineFeaturesNow, resolveFeatures, type FeatureSelector, type RegistryData } from '@frec/core/spi';
import { entityKeyOf, type FeatureLogger } from '@frec/monitoring';
import { feastResponseJson } from '../feast-response.js';
import { columnTypes } from '../feast-types.js';
import { FeatureLists } from '../feature-lists.js';
import { checkColumns, getOnlineFeaturesBody, parseBody } from '../request-schemas.js';
import type { ServerMetrics } from '../server-metrics.js';
import type { StoreGuard } from '../store-guard.js';

const ROUTE = '/get-online-features';

/** POST /get-online-features: Feast's request and response shapes over FeatureStore.getOnlineFeatures. */
export function registerOnlineFeaturesRoute(
  app: FastifyInstance,
  deps: { store: FeatureStore; guard: StoreGuard; metrics: ServerMetrics; maxEntities: number; featureLog?: FeatureLogger },
): void {
  const lists = new FeatureLists();
  // A synchronous handler when the read answers synchronously (SQLite with the registry cached):
  // no promise between the route and the store, the response sent as the bare route sends it.
  app.post(ROUTE, (request, reply) => {
    request.frecRoute = ROUTE;
    const body = parseBody(getOnlineFeaturesBody, request.body, ROUTE);
    // Join keys and request-data fields ride in the same columns, as in Feast; the SDK reads the
    // columns as they are, with no row object per entity.
    const n = checkColumns(body.entities, { route: ROUTE, field: 'entities', maxRows: deps.maxEntities });
    deps.metrics.entitiesRequested.inc(n);
    const selector: FeatureSelector =
      body.feature_service !== undefined ? { featureService: body.feature_service } : { features: lists.canonical(body.features!) };
    const req = { ...selector, entities: body.entities, fullFeatureNames: body.full_feature_names };
    const res = deps.guard.runNow(() => getOnlineFeaturesNow(deps.store, req));
    return res instanceof Promise
      ? res.then((r) => respond(deps, request, reply, selector, r))
      : respond(deps, request, reply, selector, res);
  });
}

function respond(
  deps: { store: FeatureStore; metrics: ServerMetrics; featureLog?: FeatureLogger },
  request: FastifyRequest,
  reply: FastifyReply,
  selector: FeatureSelector,
  res: OnlineFeaturesResponse,
): string | Promise<string> {
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
  const log = deps.featureLog;
  if (log?.sample()) {
    deps.metrics.featureLogRequests.inc();
    // After the response is out: logging never adds to a request's latency or fails it.
    setImmediate(() =>
      logServed(log, deps.store, selector, res, request.id).catch((err: Error) =>
        request.log.warn({ err: err.message }, 'feature logging failed'),
      ),
    );
  }
  const data = deps.store.registry.cachedData();
  if (data === undefined) return deps.store.registry.data().then((d) => body(reply, d, selector, res));
  return body(reply, data, selector, res);
}

function body(reply: FastifyReply, data: RegistryData, selector: FeatureSelector, res: OnlineFeaturesResponse): string {
  const types = columnTypes(data, selector, res.featureNames);
  reply.header('content-type', 'application/json; charset=utf-8');
  return feastResponseJson(res, types);
}

/** Writes one served response to the feature log: every entity row and feature, named 'view:feature'. */
async function logServed(
  log: FeatureLogger,
  store: FeatureStore,
  selector: FeatureSelector,
  res: OnlineFeaturesResponse,
  requestId: string,
): Promise<void> {
  const resolved = resolveFeatures(await store.registry.data(), selector);
  const nKeys = res.featureNames.length - resolved.outputs.length;
  const keys = res.featureNames.slice(0, nKeys);
  const entityKeys = Array.from({ length: res.rowCount }, (_, r) =>
    entityKeyOf(
      keys,
      keys.map((_k, c) => res.values[c]![r]),
    ),
  );
  log.logColumns({
    requestId,
    service: resolved.featureService ?? 'adhoc',
    features: resolved.outputs.map((o) => `${o.prefix}:${o.feature}`),
    entityKeys,
    values: res.values.slice(nKeys),
    statuses: res.statuses.slice(nKeys),
  });
}
