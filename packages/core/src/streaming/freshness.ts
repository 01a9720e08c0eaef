import type { FeatureStore } from '../feature-store.js';
import { createStreamBroker } from './brokers.js';
import { partitionsOf } from './partitions.js';
import { groupOf, type StreamBroker, type StreamLag } from './stream-source.js';

/** How fresh one view's online values are. */
export interface ViewFreshness {
  view: string;
  kind: 'batch' | 'stream';
  /** Seconds since the newest event time written online (stream views), or since the materialization watermark (batch views); null when nothing was written. */
  newestValueAgeSeconds: number | null;
  /** Seconds since the stream worker last wrote this view (stream views). */
  lastWriteAgeSeconds: number | null;
  /** The view's consumer-group lag (stream views). */
  consumerLag: StreamLag | null;
}

/**
 * Freshness and lag of views, for the feature server's metrics and a stale-features fallback.
 * Pass a broker to reuse its connection; otherwise one is opened for the call.
 * @example const [f] = await viewFreshness(store, ['user_activity']); if ((f.newestValueAgeSeconds ?? Infinity) > 60) useFallback();
 */
export async function viewFreshness(
  store: FeatureStore,
  views?: readonly string[],
  options: { broker?: StreamBroker; nowMs?: number } = {},
): Promise<ViewFreshness[]> {
  const data = await store.registry.data({ fresh: true });
  const names = views ?? Object.keys(data.featureViews).sort();
  const now = options.nowMs ?? Date.now();
  const out: ViewFreshness[] = [];
  let broker = options.broker;
  let own = false;
  try {
    for (const name of names) {
      const spec = await store.registry.getFeatureView(name);
      if (spec.source.type !== 'stream') {
        const wm = data.materialization[name]?.watermark;
        out.push({
          view: name,
          kind: 'batch',
          newestValueAgeSeconds: wm ? (now - Date.parse(wm)) / 1000 : null,
          lastWriteAgeSeconds: null,
          consumerLag: null,
        });
        continue;
      }
      if (!broker) {
        broker = await createStreamBroker(store.config, spec.source.broker);
        own = true;
      }
      const states = broker.stateStore(store.project);
      try {
        const p = await states.progress(name);
        const lag = await groupLag(broker, spec.source.topic, groupOf(store.project, spec), partitionsOf(spec));
        out.push({
          view: name,
          kind: 'stream',
          newestValueAgeSeconds: p.newestEventMs === null ? null : (now - p.newestEventMs) / 1000,
          lastWriteAgeSeconds: p.updatedAtMs === null ? null : (now - p.updatedAtMs) / 1000,
          consumerLag: lag,
        });
      } finally {
        await states.close();
      }
    }
  } finally {
    if (own) await broker?.close();
  }
  return out;
}

/** A group's lag over all partitions of a topic: counts summed, the oldest unacknowledged message of any. */
export async function groupLag(broker: StreamBroker, topic: string, group: string, partitions: number): Promise<StreamLag> {
  if (partitions <= 1) return broker.lag(topic, group);
  const parts = await Promise.all(Array.from({ length: partitions }, (_, p) => broker.lag(topic, group, p)));
  const oldest = parts.map((l) => l.oldestUnackedMs).filter((t): t is number => typeof t === 'number');
  return {
    pending: parts.reduce((n, l) => n + l.pending, 0),
    undelivered: parts.some((l) => l.undelivered === null) ? null : parts.reduce((n, l) => n + l.undelivered!, 0),
    lastId: null,
    oldestUnackedMs: oldest.length > 0 ? Math.min(...oldest) : null,
  };
}
