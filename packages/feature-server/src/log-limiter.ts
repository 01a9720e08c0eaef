/** What one admitted log line reports of the lines suppressed before it. */
export interface Suppressed {
  count: number;
  seconds: number;
}

/**
 * Lets through one log line per key per window: during an outage every request fails the same
 * way, and a line per request buries the log (3,276 lines in 7 s, measured). Lines held back are
 * counted, and the count rides on the next line let through, or on a summary at the window's end.
 */
export class LogLimiter {
  private readonly windows = new Map<string, { since: number; count: number; timer: NodeJS.Timeout | undefined }>();

  constructor(
    private readonly windowMs: number,
    /** Writes the summary of a window whose held-back lines no later line reported. */
    private readonly summarize: (key: string, s: Suppressed) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Null to hold the line back; otherwise the lines held back since the previous one let through. */
  admit(key: string): Suppressed | null {
    const t = this.now();
    const w = this.windows.get(key);
    if (w && t - w.since < this.windowMs) {
      w.count++;
      w.timer ??= setTimeout(() => this.flush(key), this.windowMs - (t - w.since)).unref();
      return null;
    }
    if (w?.timer) clearTimeout(w.timer);
    this.windows.set(key, { since: t, count: 0, timer: undefined });
    return { count: w?.count ?? 0, seconds: w ? (t - w.since) / 1000 : 0 };
  }

  /** Writes every pending summary now (the server calls it on close). */
  flushAll(): void {
    for (const key of [...this.windows.keys()]) this.flush(key);
  }

  private flush(key: string): void {
    const w = this.windows.get(key);
    if (!w) return;
    if (w.timer) clearTimeout(w.timer);
    this.windows.delete(key);
    if (w.count > 0) this.summarize(key, { count: w.count, seconds: (this.now() - w.since) / 1000 });
  }
}

/** The suffix a let-through line carries: " (N similar errors in the last Xs)", or '' when none were held back. */
export function suppressedSuffix(s: Suppressed): string {
  return s.count > 0 ? ` (${s.count} similar errors in the last ${s.seconds.toFixed(1)}s)` : '';
}
