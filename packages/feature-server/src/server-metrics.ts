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
  /** Per label set of the request and store-read metrics: observations not yet handed to prom-client. */
  private readonly requestTallies = new Map<string, Tally>();
  private readonly viewTallies = new Map<string, Tally>();

  constructor(sources: MetricSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'frec_' });
    this.requestDuration = new Histogram({
      name: 'frec_http_request_duration_seconds',
      help: 'HTTP request latency by route, method and status.',
      labelNames: ['route', 'method', 'status'],
      buckets: BUCKETS,
      registers,
      collect: () => flushAll(this.requestTallies),
    });
    this.requests = new Counter({
      name: 'frec_http_requests_total',
      help: 'HTTP requests by route and status.',
      labelNames: ['route', 'status'],
      registers,
      collect: () => flushAll(this.requestTallies),
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
      collect: () => flushAll(this.viewTallies),
    });
    this.rowsRead = new Counter({
      name: 'frec_online_rows_read_total',
      help: 'Entity keys read from the online store, by feature view.',
      labelNames: ['view'],
      registers,
      collect: () => flushAll(this.viewTallies),
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
    let t = this.requestTallies.get(key);
    if (t === undefined) {
      const status = String(statusCode);
      t = new Tally(this.requestDuration.labels({ route, method, status }), this.requests.labels({ route, status }));
      this.requestTallies.set(key, t);
    }
    t.add(seconds, 1);
  }

  /** Counts one online-store read of a view: its latency and the keys it read. */
  observeViewRead(view: string, seconds: number, rows: number): void {
    let t = this.viewTallies.get(view);
    if (t === undefined) {
      t = new Tally(this.storeReadDuration.labels({ view }), this.rowsRead.labels({ view }));
      this.viewTallies.set(view, t);
    }
    t.add(seconds, rows);
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

/**
 * One label set's histogram observations and counter increments, handed to prom-client in a batch
 * when a scrape reads the metrics (their `collect`) or when the batch is full. A labelled prom-client
 * call builds, checks and hashes a label object each time: four per request, run cold between the
 * socket work, were several microseconds of a request (docs/profiles/feature-server.md); replayed
 * together at scrape time they cost a fraction of that, and a scrape still sees every request.
 */
class Tally {
  private static readonly SIZE = 256;
  private readonly seconds = new Float64Array(Tally.SIZE);
  private n = 0;
  private count = 0;

  constructor(
    private readonly histogram: { observe(v: number): void },
    private readonly counter: { inc(v?: number): void },
  ) {}

  add(seconds: number, count: number): void {
    this.seconds[this.n++] = seconds;
    this.count += count;
    if (this.n === Tally.SIZE) this.flush();
  }

  flush(): void {
    for (let i = 0; i < this.n; i++) this.histogram.observe(this.seconds[i]!);
    if (this.n > 0 || this.count > 0) this.counter.inc(this.count);
    this.n = 0;
    this.count = 0;
  }
}

function flushAll(tallies: Map<string, Tally>): void {
  for (const t of tallies.values()) t.flush();
}
