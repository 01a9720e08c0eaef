import type { OnlineColumnarRead, OnlineStore } from '@frec/core';
import type { ServerMetrics } from './server-metrics.js';

const INSTRUMENTED = Symbol.for('frec.feature-server.instrumented');

function newest(times: ArrayLike<number>): number {
  let m = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < times.length; i++) if (times[i]! > m) m = times[i]!;
  return m;
}

function observeRead(metrics: ServerMetrics, view: string, keys: number, seconds: number, eventTimeMs: number): void {
  metrics.storeReadDuration.observe({ view }, seconds);
  metrics.rowsRead.inc({ view }, keys);
  metrics.observeEventTime(view, eventTimeMs);
}

/**
 * Wraps an online store's read entry point and its write method in place, to time reads, count
 * rows and track per-view freshness. It decorates the instance rather than the core, so the core
 * stays free of Prometheus and the timing covers exactly the store call (not HTTP, JSON or
 * transforms). Only the entry point getOnlineFeatures uses is wrapped (readColumnsMany, else
 * readColumns, else read), because the stores implement each of them through the others and
 * wrapping all would count a read twice.
 */
export function instrumentOnlineStore(store: OnlineStore, metrics: ServerMetrics): void {
  const tagged = store as OnlineStore & { [INSTRUMENTED]?: boolean };
  if (tagged[INSTRUMENTED]) return;
  tagged[INSTRUMENTED] = true;

  if (store.readColumnsMany) {
    const many = store.readColumnsMany.bind(store);
    store.readColumnsMany = async (project, reads) => {
      const t0 = performance.now();
      const out: OnlineColumnarRead[] = await many(project, reads);
      // One store call served every view in it: each view saw that latency.
      const seconds = (performance.now() - t0) / 1000;
      reads.forEach((r, i) => observeRead(metrics, r.view.name, r.keys.length, seconds, newest(out[i]?.eventTimeMs ?? [])));
      return out;
    };
  } else if (store.readColumns) {
    const readColumns = store.readColumns.bind(store);
    store.readColumns = async (project, view, keys, features) => {
      const t0 = performance.now();
      const cols = await readColumns(project, view, keys, features);
      observeRead(metrics, view.name, keys.length, (performance.now() - t0) / 1000, newest(cols.eventTimeMs));
      return cols;
    };
  } else {
    const read = store.read.bind(store);
    store.read = async (project, view, keys, features) => {
      const t0 = performance.now();
      const rows = await read(project, view, keys, features);
      const times = rows.map((r) => (r !== null && !(r instanceof Error) ? r.eventTimeMs : Number.NEGATIVE_INFINITY));
      observeRead(metrics, view.name, keys.length, (performance.now() - t0) / 1000, newest(times));
      return rows;
    };
  }

  const write = store.write.bind(store);
  store.write = async (project, view, rows) => {
    const res = await write(project, view, rows);
    metrics.observeEventTime(view.name, newest(rows.map((r) => r.eventTimeMs)));
    return res;
  };
}
