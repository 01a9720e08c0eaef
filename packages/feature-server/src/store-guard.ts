import { ErrorCode, FrecError, StoreError } from '@frec/core';

/** Store errors that mean "the store is down or slow", as opposed to a bad request. */
function isOutage(err: unknown): boolean {
  return err instanceof FrecError && (err.code === ErrorCode.ONLINE_STORE_UNAVAILABLE || err.code === ErrorCode.ONLINE_STORE_TIMEOUT);
}

/**
 * Guards online reads with a deadline and a consecutive-failure circuit breaker, so a dead or hung
 * store answers 503 within `timeoutMs` and, after `threshold` consecutive outages, at once for
 * `resetMs`; then one trial read decides (calls arriving meanwhile wait for its outcome). A bad
 * request (unknown feature, wrong key type) never trips the breaker.
 *
 * Hand-written rather than cockatiel's timeout + breaker policies: the timeout policy derives an
 * AbortController per call and aborts it when the call ends, and the breaker runs an executor and
 * event emitters per call; together about 45 µs of a 200 µs request on the 2-core bench machine
 * (docs/profiles/feature-server.md). A read that misses the deadline is left to finish on its own,
 * as cockatiel's aggressive strategy did.
 */
export class StoreGuard {
  private readonly timeoutMs: number;
  private readonly threshold: number;
  private readonly resetMs: number;
  private failures = 0;
  /** When the open breaker lets a trial read through; 0 while closed. */
  private openUntil = 0;
  private trial: Promise<unknown> | undefined;

  constructor(opts: { timeoutMs: number; threshold: number; resetMs: number }) {
    this.timeoutMs = opts.timeoutMs;
    this.threshold = Math.max(1, opts.threshold);
    this.resetMs = opts.resetMs;
  }

  /** Runs `fn` under the guard; outages come back as 503 StoreErrors. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.openUntil === 0) return this.closedRun(fn);
    if (this.trial) {
      await this.trial.catch(() => undefined);
      return this.run(fn);
    }
    if (Date.now() < this.openUntil) throw this.unavailable();
    const trial = this.withDeadline(fn);
    this.trial = trial;
    try {
      const v = await trial;
      this.reset();
      return v;
    } catch (err) {
      if (isOutage(err)) this.openUntil = Date.now() + this.resetMs;
      else this.reset();
      throw err;
    } finally {
      this.trial = undefined;
    }
  }

  private async closedRun<T>(fn: () => Promise<T>): Promise<T> {
    try {
      const v = await this.withDeadline(fn);
      this.failures = 0;
      return v;
    } catch (err) {
      if (isOutage(err) && ++this.failures >= this.threshold && this.openUntil === 0) this.openUntil = Date.now() + this.resetMs;
      throw err;
    }
  }

  private reset(): void {
    this.failures = 0;
    this.openUntil = 0;
  }

  private unavailable(): StoreError {
    return new StoreError(
      ErrorCode.ONLINE_STORE_UNAVAILABLE,
      'The online store is unavailable (several reads in a row failed); failing fast until it recovers.',
      { hint: 'Check that the online store is up; a trial read is made about once a second.' },
    );
  }

  private withDeadline<T>(fn: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new StoreError(ErrorCode.ONLINE_STORE_TIMEOUT, `The online store did not answer within ${this.timeoutMs} ms.`, {
            hint: 'Check that the online store is up and reachable; the server retries it on the next request.',
          }),
        );
      }, this.timeoutMs);
      let p: Promise<T>;
      try {
        p = fn();
      } catch (err) {
        clearTimeout(timer);
        return reject(err as Error);
      }
      p.then(
        (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        (err: unknown) => {
          clearTimeout(timer);
          reject(err as Error);
        },
      );
    });
  }
}
