import type { OnlineColumnarRead, OnlineColumnarWrite, OnlineStore, OnlineWriteRow } from '@frec/core/spi';
import type { ServerMetrics } from './server-metrics.js';

function newest(times: ArrayLike<number>): number {
  let m = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < times.length; i++) if (times[i]! > m) m = times[i]!;
  return m;
}

/**
 * An OnlineStore that times reads, counts rows and tracks per-view freshness, then forwards to the
 * store it wraps. A decorator rather than a patch of the core, so the core stays free of
 * Prometheus, and the timing covers exactly the store call (not HTTP, JSON or transforms).
 */
export class InstrumentedOnlineStore implements OnlineStore {
  readonly type: string;

  constructor(
    private readonly inner: OnlineStore,
    private readonly metrics: ServerMetrics,
  ) {
    this.type = inner.type;
    const now = inner.readColumnsManyNow?.bind(inner);
    this.readColumnsManyNow =
      now &&
      ((project, reads) => {
        const t0 = performance.now();
        const out = now(project, reads);
        return out instanceof Promise ? out.then((o) => this.observed(reads, o, t0)) : this.observed(reads, out, t0);
      });
  }

  update(args: Parameters<OnlineStore['update']>[0]): Promise<void> {
    return this.inner.update(args);
  }

  async write(project: string, view: Parameters<OnlineStore['write']>[1], rows: readonly OnlineWriteRow[]) {
    const res = await this.inner.write(project, view, rows);
    this.metrics.observeEventTime(view.name, newest(rows.map((r) => r.eventTimeMs)));
    return res;
  }

  get writeColumns(): OnlineStore['writeColumns'] {
    const inner = this.inner;
    if (!inner.writeColumns) return undefined;
    return async (project: string, view: Parameters<OnlineStore['write']>[1], batch: OnlineColumnarWrite) => {
      const res = await inner.writeColumns!(project, view, batch);
      this.metrics.observeEventTime(view.name, newest(batch.eventTimeMs));
      return res;
    };
  }

  async readColumnsMany(project: string, reads: Parameters<OnlineStore['readColumnsMany']>[1]) {
    const t0 = performance.now();
    const out = await this.inner.readColumnsMany(project, reads);
    return this.observed(reads, out, t0);
  }

  /**
   * Built once: a getter would make a new closure on every access, and the SDK reads this property
   * twice per request (once to see whether the store reads synchronously, once to call it).
   */
  readonly readColumnsManyNow: OnlineStore['readColumnsManyNow'];

  private observed(reads: Parameters<OnlineStore['readColumnsMany']>[1], out: OnlineColumnarRead[], t0: number): OnlineColumnarRead[] {
    // One store call served every view in it: each view saw that latency.
    const seconds = (performance.now() - t0) / 1000;
    for (let i = 0; i < reads.length; i++) {
      const r = reads[i]!;
      this.metrics.observeViewRead(r.view.name, seconds, r.keys.length);
      this.metrics.observeEventTime(r.view.name, newest(out[i]?.eventTimeMs ?? []));
    }
    return out;
  }

  get stats(): OnlineStore['stats'] {
    const inner = this.inner;
    return inner.stats ? (project, view) => inner.stats!(project, view) : undefined;
  }

  teardown(args: Parameters<OnlineStore['teardown']>[0]): Promise<void> {
    return this.inner.teardown(args);
  }

  ping(): Promise<void> {
    return this.inner.ping();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
