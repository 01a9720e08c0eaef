import { parsePrometheusText, type Exposition } from './prometheus-text.js';

/** Something that renders Prometheus text: a prom-client Registry of this process, or a /metrics URL. */
export interface MetricSource {
  /** Shown on the serving page (e.g. 'feature-server', or the URL). */
  readonly name: string;
  scrape(): Promise<string>;
}

/** A prom-client registry of this process (`frec serve --ui` passes the feature server's). */
export function registrySource(name: string, registry: { metrics(): Promise<string> }): MetricSource {
  return { name, scrape: () => registry.metrics() };
}

/**
 * A /metrics URL to scrape (`frec ui --metrics-url`), with a time limit so a dead server does not
 * hold the page. The URL is operator configuration; nothing a client sends reaches it.
 */
export function urlSource(url: string, options: { timeoutMs?: number; headers?: Record<string, string> } = {}): MetricSource {
  return {
    name: url,
    async scrape() {
      const res = await fetch(url, { signal: AbortSignal.timeout(options.timeoutMs ?? 2000), headers: options.headers ?? {} });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      return res.text();
    },
  };
}

/** One scrape of every source at one time. */
export interface MetricsSnapshot {
  atMs: number;
  bySource: Array<{ name: string; exposition: Exposition | null; error: string | null }>;
}

/**
 * Scrapes the sources when the serving page asks (at most once a second) and keeps the latest
 * snapshots, so rates and windowed percentiles come from the difference of two scrapes. Nothing
 * runs while nobody looks: there is no timer.
 */
export class MetricsSampler {
  private readonly snapshots: MetricsSnapshot[] = [];
  private inflight: Promise<MetricsSnapshot> | undefined;

  constructor(
    readonly sources: readonly MetricSource[],
    private readonly options: { keep?: number; minIntervalMs?: number; now?: () => number } = {},
  ) {}

  /** The snapshots kept, oldest first, after taking a new one when the last is older than minIntervalMs. */
  async sample(): Promise<readonly MetricsSnapshot[]> {
    const now = (this.options.now ?? Date.now)();
    const last = this.snapshots.at(-1);
    if (!last || now - last.atMs >= (this.options.minIntervalMs ?? 1000)) {
      this.inflight ??= this.scrape(now).finally(() => (this.inflight = undefined));
      const snap = await this.inflight;
      if (this.snapshots.at(-1) !== snap) {
        this.snapshots.push(snap);
        if (this.snapshots.length > (this.options.keep ?? 120)) this.snapshots.shift();
      }
    }
    return this.snapshots;
  }

  private async scrape(atMs: number): Promise<MetricsSnapshot> {
    const bySource = await Promise.all(
      this.sources.map(async (s) => {
        try {
          return { name: s.name, exposition: parsePrometheusText(await s.scrape()), error: null };
        } catch (err) {
          // Which source failed and how is shown; the underlying error text (hosts, stacks) is not.
          const e = err as Error;
          const why = e.name === 'TimeoutError' ? 'timed out' : /^HTTP \d+$/.test(e.message) ? e.message : 'unreachable';
          return { name: s.name, exposition: null, error: why };
        }
      }),
    );
    return { atMs, bySource };
  }
}
