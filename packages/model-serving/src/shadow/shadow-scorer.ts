import type { RankBatch, Ranker } from '../ranking/ranker.js';
import type { ShadowMetrics } from './shadow-metrics.js';

/** Running comparison of one shadow version against production. */
export interface ShadowStats {
  version: string;
  requests: number;
  errors: number;
  nonFinite: number;
  meanAbsDiff: number;
  meanRankOverlap: number;
}

/** Options of shadow mode. */
export interface ShadowOptions {
  /** The candidate model version. */
  ranker: Ranker;
  /** Fraction of requests scored by the shadow (default 0.1). */
  sampleRate?: number;
  /** k of the top-k overlap (default 20). */
  topK?: number;
  /** Time limit per shadow call (default 200 ms); a slow shadow must not pile up work. */
  timeoutMs?: number;
  /** Random source in [0, 1), seeded in tests. */
  random?: () => number;
}

/**
 * Shadow mode: a candidate model version scores a sample of requests beside production. It
 * runs after the response is computed and its result is only compared, never returned, so it
 * cannot change what users see; differences, top-k overlap, NaNs and errors go to metrics.
 */
export class ShadowScorer {
  private readonly stats: ShadowStats;
  private readonly pending = new Set<Promise<void>>();
  private readonly sampleRate: number;
  private readonly random: () => number;

  constructor(
    private readonly options: ShadowOptions,
    private readonly metrics?: ShadowMetrics,
  ) {
    this.sampleRate = options.sampleRate ?? 0.1;
    this.random = options.random ?? Math.random;
    this.stats = { version: options.ranker.version, requests: 0, errors: 0, nonFinite: 0, meanAbsDiff: 0, meanRankOverlap: 0 };
  }

  get version(): string {
    return this.options.ranker.version;
  }

  /** Starts a comparison for a sampled request; returns at once (the work runs in the background). */
  maybeCompare(batch: RankBatch, production: Float32Array): boolean {
    if (this.random() >= this.sampleRate) return false;
    const p = this.compare(batch, production).finally(() => this.pending.delete(p));
    this.pending.add(p);
    return true;
  }

  /** Waits for comparisons in flight (tests, shutdown). */
  async drain(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  /** Comparison totals so far. */
  snapshot(): ShadowStats {
    return { ...this.stats };
  }

  private async compare(batch: RankBatch, production: Float32Array): Promise<void> {
    const v = this.version;
    const m = this.metrics;
    let shadow: Float32Array;
    try {
      shadow = await this.options.ranker.score(batch, AbortSignal.timeout(this.options.timeoutMs ?? 200));
      if (shadow.length !== production.length) throw new Error(`shadow returned ${shadow.length} scores for ${production.length} rows`);
    } catch {
      this.stats.errors++;
      m?.shadowErrors.inc({ version: v });
      return;
    }
    let diff = 0;
    let pairs = 0;
    let nonFinite = 0;
    for (let i = 0; i < shadow.length; i++) {
      if (!Number.isFinite(shadow[i]!)) {
        nonFinite++;
        continue;
      }
      if (!Number.isFinite(production[i]!)) continue;
      diff += Math.abs(shadow[i]! - production[i]!);
      pairs++;
    }
    const overlap = topKOverlap(production, shadow, this.options.topK ?? 20);
    const n = ++this.stats.requests;
    this.stats.nonFinite += nonFinite;
    const meanDiff = pairs > 0 ? diff / pairs : 0;
    this.stats.meanAbsDiff += (meanDiff - this.stats.meanAbsDiff) / n;
    this.stats.meanRankOverlap += (overlap - this.stats.meanRankOverlap) / n;
    m?.shadowRequests.inc({ version: v });
    if (nonFinite > 0) m?.shadowNonFinite.inc({ version: v }, nonFinite);
    m?.shadowScoreDiff.observe({ version: v }, meanDiff);
    m?.shadowRankOverlap.observe({ version: v }, overlap);
  }
}

/** |top-k(a) ∩ top-k(b)| / k, with non-finite scores ranked last. */
export function topKOverlap(a: Float32Array, b: Float32Array, k: number): number {
  const top = (s: Float32Array): Set<number> => {
    const idx = Array.from(s.keys()).sort((x, y) => finite(s[y]!) - finite(s[x]!));
    return new Set(idx.slice(0, k));
  };
  const ta = top(a);
  const tb = top(b);
  let inter = 0;
  for (const i of ta) if (tb.has(i)) inter++;
  return Math.min(k, a.length) > 0 ? inter / Math.min(k, a.length) : 1;
}

function finite(x: number): number {
  return Number.isFinite(x) ? x : -Infinity;
}
