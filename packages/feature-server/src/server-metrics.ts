import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { SkewGauges } from '@frec/monitoring';

/** Latency buckets in seconds: sub-millisecond reads up to multi-second timeouts. */
const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** What the metrics read at scrape time, so gauges are computed when asked and not per request. */
export interface MetricSources {
  /** Seconds since the registry was last read from storage. */
  registryAgeSeconds(): number;
  /** Folder of daily skew reports: the newest one is exported as `frec_feature_psi` and friends. */
  skewReportDir?: string;
}

/**
 * The feature server's Prometheus metrics, in a registry of its own so several servers in one
 * process (tests, embedding) never collide on metric names.
 */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly requestDuration: Histogram<'route' | 'method' | 'status'>;
  readonly requests: Counter<'route' | 'status'>;
  readonly errors: Counter<'route' | 'code'>;
  readonly storeReadDuration: Histogram<'view'>;
  readonly rowsRead: Counter<'view'>;
  readonly entitiesRequested: Counter;
  /** Requests whose served values were written to the feature log. */
  readonly featureLogRequests: Counter;
  readonly skew: SkewGauges;
  /** Newest event time (epoch ms) seen per view in reads and writes through this process. */
  private readonly newestEventMs = new Map<string, number>();
  /**
   * prom-client's labelled calls build and check a label object per call; the handles of each
   * label set seen, bound once, skip that on every request (docs/profiles/feature-server.md).
   */
  private readonly requestHandles = new Map<string, { duration: { observe(v: number): void }; count: { inc(v?: number): void } }>();
  private readonly viewHandles = new Map<string, { duration: { observe(v: number): void }; rows: { inc(v?: number): void } }>();

  constructor(sources: MetricSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'frec_' });
    this.requestDuration = new Histogram({
      name: 'frec_http_request_duration_seconds',
      help: 'HTTP request latency by route, method and status.',
      labelNames: ['route', 'method', 'status'],
      buckets: BUCKETS,
      registers,
    });
    this.requests = new Counter({
      name: 'frec_http_requests_total',
      help: 'HTTP requests by route and status.',
      labelNames: ['route', 'status'],
      registers,
    });
    this.errors = new Counter({
      name: 'frec_http_errors_total',
      help: 'Failed HTTP requests by route and frec error code.',
      labelNames: ['route', 'code'],
      registers,
    });
    this.storeReadDuration = new Histogram({
      name: 'frec_online_store_read_duration_seconds',
      help: 'Latency of one online-store read of one feature view.',
      labelNames: ['view'],
      buckets: BUCKETS,
      registers,
    });
    this.rowsRead = new Counter({
      name: 'frec_online_rows_read_total',
      help: 'Entity keys read from the online store, by feature view.',
      labelNames: ['view'],
      registers,
    });
    this.entitiesRequested = new Counter({
      name: 'frec_entities_requested_total',
      help: 'Entity rows asked for in /get-online-features requests.',
      registers,
    });
    this.featureLogRequests = new Counter({
      name: 'frec_feature_log_requests_total',
      help: 'Requests whose served values were sampled into the feature log.',
      registers,
    });
    this.skew = new SkewGauges(this.registry, { reportDir: sources.skewReportDir });
    new Gauge({
      name: 'frec_registry_age_seconds',
      help: 'Seconds since the registry was last read from storage.',
      registers,
      // Summed across cluster workers would be meaningless; the oldest copy is what matters.
      aggregator: 'max',
      collect() {
        const age = sources.registryAgeSeconds();
        this.set(Number.isFinite(age) ? age : -1);
      },
    });
    const newest = this.newestEventMs;
    new Gauge({
      name: 'frec_feature_view_freshness_seconds',
      help: 'Age of the newest feature value this server has read or written, by feature view.',
      labelNames: ['view'],
      registers,
      // Across cluster workers, the freshest value any of them saw.
      aggregator: 'min',
      collect() {
        this.reset();
        const now = Date.now();
        for (const [view, ms] of newest) this.set({ view }, Math.max(0, (now - ms) / 1000));
      },
    });
  }

  /** Counts one answered request and its latency. */
  observeRequest(route: string, method: string, statusCode: number, seconds: number): void {
    const key = `${route} ${method} ${statusCode}`;
    let h = this.requestHandles.get(key);
    if (h === undefined) {
      const status = String(statusCode);
      h = { duration: this.requestDuration.labels({ route, method, status }), count: this.requests.labels({ route, status }) };
      this.requestHandles.set(key, h);
    }
    h.duration.observe(seconds);
    h.count.inc();
  }

  /** Counts one online-store read of a view: its latency and the keys it read. */
  observeViewRead(view: string, seconds: number, rows: number): void {
    let h = this.viewHandles.get(view);
    if (h === undefined) {
      h = { duration: this.storeReadDuration.labels({ view }), rows: this.rowsRead.labels({ view }) };
      this.viewHandles.set(view, h);
    }
    h.duration.observe(seconds);
    h.rows.inc(rows);
  }

  /** Records that a view holds a value with this event time. */
  observeEventTime(view: string, eventTimeMs: number): void {
    if (!Number.isFinite(eventTimeMs)) return;
    const prev = this.newestEventMs.get(view);
    if (prev === undefined || eventTimeMs > prev) this.newestEventMs.set(view, eventTimeMs);
  }

  /** The Prometheus text exposition of every metric. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  /** The content type Prometheus expects for `render()`. */
  get contentType(): string {
    return this.registry.contentType;
  }
}
