import type { FeatureStore, FeatureViewSpec, ViewFreshness } from '@frec/core';
import type { RegistryData } from '@frec/core/spi';

/** How fresh one view is online, and whether that is a problem. */
export interface ViewFreshnessRow {
  view: string;
  kind: string;
  ttlSeconds: number;
  /** The latest materialized interval [start, end) and the watermark (end of the newest one). */
  lastInterval: [string, string] | null;
  watermark: string | null;
  materializedIntervals: number;
  /** Rows in the online store and the newest event time among them; null when the store cannot count. */
  onlineRows: number | null;
  newestEventTime: string | null;
  newestAgeSeconds: number | null;
  /** Stream views: messages pending or not yet delivered to the view's consumer group, and the worker's last write. */
  consumerLag: number | null;
  lastWriteAgeSeconds: number | null;
  /** ok; stale (newest value older than the TTL); lagging (lag past the limit); empty (no rows online); unknown. */
  status: 'ok' | 'stale' | 'lagging' | 'empty' | 'unknown';
  reasons: string[];
}

/** A page of views' freshness. */
export interface FreshnessPage {
  generation: number;
  maxLag: number;
  total: number;
  offset: number;
  rows: ViewFreshnessRow[];
  /** Parts that could not be read (the online store, the stream broker), by code only. */
  errors: string[];
}

function age(ms: number | null, now: number): number | null {
  return ms === null ? null : Math.max(0, (now - ms) / 1000);
}

/**
 * Per view: the latest materialized interval (registry), online row count and newest event time
 * (the online store's stats), and for stream views the consumer lag and last write (the broker).
 * A view is stale when its newest value is older than its TTL, lagging when its lag passes `maxLag`.
 */
export async function viewFreshness(
  store: FeatureStore,
  data: RegistryData,
  options: { maxLag: number; offset: number; limit: number; views?: readonly string[]; now?: number },
): Promise<FreshnessPage> {
  const now = options.now ?? Date.now();
  const all = (options.views ?? Object.keys(data.featureViews).sort()).filter((v) => data.featureViews[v]);
  const page = all.slice(options.offset, options.offset + options.limit);
  const specs = page.map((v) => data.featureViews[v]!.spec);
  const errors: string[] = [];
  const online = await store.onlineStore().catch(() => {
    errors.push('the online store is not reachable');
    return null;
  });
  const stats = new Map<string, { rows: number; newestEventTimeMs: number | null }>();
  if (online?.stats) {
    for (const spec of specs) {
      if (!spec.online) continue;
      try {
        stats.set(spec.name, await online.stats(store.project, spec));
      } catch {
        if (!errors.includes('the online store could not count rows')) errors.push('the online store could not count rows');
      }
    }
  } else if (online) errors.push(`the ${online.type} online store cannot count rows`);
  const streamViews = specs.filter((s) => s.source.type === 'stream').map((s) => s.name);
  const stream = new Map<string, ViewFreshness>();
  if (streamViews.length > 0) {
    try {
      for (const f of await store.freshness(streamViews)) stream.set(f.view, f);
    } catch {
      errors.push('the stream broker is not reachable (consumer lag unknown)');
    }
  }
  return {
    generation: data.generation,
    maxLag: options.maxLag,
    total: all.length,
    offset: options.offset,
    rows: specs.map((spec) => row(spec, data, stats.get(spec.name), stream.get(spec.name), options.maxLag, now)),
    errors,
  };
}

function row(
  spec: FeatureViewSpec,
  data: RegistryData,
  stats: { rows: number; newestEventTimeMs: number | null } | undefined,
  stream: ViewFreshness | undefined,
  maxLag: number,
  now: number,
): ViewFreshnessRow {
  const m = data.materialization[spec.name];
  const last = m?.intervals.at(-1) ?? null;
  // Stream state knows the newest event applied even when the store cannot count.
  const newestMs = stats?.newestEventTimeMs ?? (stream?.newestValueAgeSeconds != null ? now - stream.newestValueAgeSeconds * 1000 : null);
  const lag = stream?.consumerLag ? stream.consumerLag.pending + (stream.consumerLag.undelivered ?? 0) : null;
  const reasons: string[] = [];
  let status: ViewFreshnessRow['status'] = 'ok';
  const newestAge = age(newestMs, now);
  if (stats && stats.rows === 0) {
    status = 'empty';
    reasons.push('no rows online');
  }
  if (spec.ttlSeconds > 0 && newestAge !== null && newestAge > spec.ttlSeconds) {
    status = 'stale';
    reasons.push(`newest value is older than the TTL (${Math.round(newestAge)} s > ${spec.ttlSeconds} s)`);
  }
  if (lag !== null && lag > maxLag) {
    if (status === 'ok' || status === 'empty') status = 'lagging';
    reasons.push(`consumer lag ${lag} > ${maxLag}`);
  }
  if (!spec.online) reasons.push('not served online');
  if (status === 'ok' && !stats && !stream) status = 'unknown';
  return {
    view: spec.name,
    kind: spec.kind,
    ttlSeconds: spec.ttlSeconds,
    lastInterval: last ? [last[0], last[1]] : null,
    watermark: m?.watermark ?? null,
    materializedIntervals: m?.intervals.length ?? 0,
    onlineRows: stats?.rows ?? null,
    newestEventTime: newestMs === null ? null : new Date(newestMs).toISOString(),
    newestAgeSeconds: newestAge,
    consumerLag: lag,
    lastWriteAgeSeconds: stream?.lastWriteAgeSeconds ?? null,
    status,
    reasons,
  };
}
