import type { DataSource } from '../definitions/sources.js';
import type { FeatureViewSpec, PushSourceSpec } from '../definitions/specs.js';
import { ErrorCode, NotFoundError, RequestError } from '../errors.js';
import type { FeatureStore } from '../feature-store.js';
import { didYouMean } from '../names.js';
import type { OnlineWriteResult } from '../stores/online-store.js';
import { validatePushRows } from './validate-push-rows.js';

/** Where pushed rows go. */
export type PushTarget = 'online' | 'offline' | 'online_and_offline';

/** Options of `store.push`. */
export interface PushOptions {
  /** Default 'online'. */
  to?: PushTarget;
}

/** What a push wrote. */
export interface PushResult {
  rows: number;
  /** Rows appended offline (0 when not pushed offline). */
  offline: number;
  /** Online write results per view. */
  online: Record<string, OnlineWriteResult>;
}

async function resolveSource(
  store: FeatureStore,
  source: string | DataSource,
): Promise<{ spec: PushSourceSpec; views: FeatureViewSpec[] }> {
  const name = typeof source === 'string' ? source : source.name;
  const data = await store.registry.data();
  const views = Object.values(data.featureViews)
    .map((v) => v.spec)
    .filter((v) => v.source.type === 'push' && v.source.name === name);
  const spec = (views[0]?.source ?? data.dataSources[name]?.spec) as PushSourceSpec | undefined;
  if (!spec) {
    const pushNames = Object.values(data.dataSources)
      .filter((s) => s.spec.type === 'push')
      .map((s) => s.spec.name);
    throw new NotFoundError(
      ErrorCode.UNKNOWN_SOURCE,
      `Push source '${name}' is not in project '${store.project}'.${didYouMean(name, pushNames)}`,
      {
        where: { source: name, project: store.project },
        hint: 'Declare it with pushSource(...) and run `frec apply`.',
      },
    );
  }
  if (spec.type !== 'push') {
    throw new RequestError(ErrorCode.INVALID_REQUEST, `Source '${name}' is a ${spec.type} source; only push sources accept pushes.`, {
      where: { source: name },
    });
  }
  if (views.length === 0) {
    throw new RequestError(ErrorCode.INVALID_REQUEST, `No feature view reads push source '${name}', so a push has nowhere to go.`, {
      where: { source: name },
      hint: 'Declare a featureView with source: this push source and run `frec apply`.',
    });
  }
  return { spec, views: views.sort((a, b) => a.name.localeCompare(b.name)) };
}

/**
 * Pushes rows through a push source into the views that read it. Every row is validated first;
 * a bad row throws INVALID_PUSH_ROW (with its index and field) and nothing is written.
 * Offline rows are appended before online ones, so a failed push can simply be retried.
 * @example await store.push('driver_stats_push', [{ driver_id: 1001, conv_rate: 0.5, event_timestamp: new Date() }], { to: 'online_and_offline' });
 */
export async function push(
  store: FeatureStore,
  source: string | DataSource,
  rows: ReadonlyArray<Record<string, unknown>>,
  options: PushOptions = {},
): Promise<PushResult> {
  const to = options.to ?? 'online';
  if (to !== 'online' && to !== 'offline' && to !== 'online_and_offline') {
    throw new RequestError(ErrorCode.INVALID_REQUEST, `Unknown push target '${String(to)}'.`, {
      hint: "Use 'online', 'offline' or 'online_and_offline'.",
    });
  }
  const { spec, views } = await resolveSource(store, source);
  const valid = validatePushRows(spec, views, rows);
  const result: PushResult = { rows: valid.length, offline: 0, online: {} };
  if (valid.length === 0) return result;
  if (to !== 'online') {
    const offline = await store.offlineStore();
    // One append per source: the rows hold every view's columns, so a merged view describes them.
    const merged: FeatureViewSpec = {
      ...views[0]!,
      features: [...new Map(views.flatMap((v) => v.features).map((f) => [f.name, f])).values()],
    };
    const ts = spec.batchSource.timestampField;
    await offline.appendRows(
      spec.batchSource,
      merged,
      valid.map((r) => ({
        ...r.values,
        [ts]: new Date(r.eventTimeMs),
        ...(spec.batchSource.createdTimestampColumn && r.createdTimeMs !== undefined
          ? { [spec.batchSource.createdTimestampColumn]: new Date(r.createdTimeMs) }
          : {}),
      })),
    );
    result.offline = valid.length;
  }
  if (to !== 'offline') {
    const online = await store.onlineStore();
    for (const v of views) {
      if (!v.online) continue;
      result.online[v.name] = await online.write(
        store.project,
        v,
        valid.map((r) => ({
          key: r.key.get(v.name)!,
          values: Object.fromEntries(v.features.map((f) => [f.name, r.values[f.name] ?? null])),
          eventTimeMs: r.eventTimeMs,
          ...(r.createdTimeMs !== undefined ? { createdTimeMs: r.createdTimeMs } : {}),
        })),
      );
    }
  }
  return result;
}
