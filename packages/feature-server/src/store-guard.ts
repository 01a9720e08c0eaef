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
 *
 * Deadlines share one timer: every call has the same `timeoutMs`, so they expire in the order the
 * calls started, and a queue with one timer armed for its oldest live entry replaces a setTimeout
 * and clearTimeout per read (a timer-list insert and removal on every request of a busy server).
 */
export class StoreGuard {
  private readonly timeoutMs: number;
  private readonly threshold: number;
  private readonly resetMs: number;
  private failures = 0;
  /** When the open breaker lets a trial read through; 0 while closed. */
  private openUntil = 0;
  private trial: Promise<unknown> | undefined;
  /** Calls in flight, oldest first; settled ones are dropped when the timer reaches them. */
  private readonly pending: Deadline[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(opts: { timeoutMs: number; threshold: number; resetMs: number }) {
    this.timeoutMs = opts.timeoutMs;
    this.threshold = Math.max(1, opts.threshold);
    this.resetMs = opts.resetMs;
  }

  /** Runs `fn` under the guard; outages come back as 503 StoreErrors. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    // The usual case in one promise hop: no async wrappers between the route and the read.
    if (this.openUntil === 0) return this.withDeadline(fn).then(this.onClosedOk, this.onClosedErr) as Promise<T>;
    return this.openRun(fn);
  }

  /**
   * run() for a read that may answer synchronously (an in-process store): its value comes back as
   * is, with the breaker's bookkeeping and no promise; a promise it returns is guarded as in run().
   * A synchronous read cannot outlive a deadline: it has returned or thrown before any timer could fire.
   */
  runNow<T>(fn: () => T | Promise<T>): T | Promise<T> {
    if (this.openUntil !== 0) return this.run(async () => fn());
    let v: T | Promise<T>;
    try {
      v = fn();
    } catch (err) {
      return this.onClosedErr(err);
    }
    if (v instanceof Promise) return this.withDeadline(() => v).then(this.onClosedOk, this.onClosedErr) as Promise<T>;
    this.failures = 0;
    return v;
  }

  private readonly onClosedOk = <T>(v: T): T => {
    this.failures = 0;
    return v;
  };

  private readonly onClosedErr = (err: unknown): never => {
    if (isOutage(err) && ++this.failures >= this.threshold && this.openUntil === 0) this.openUntil = Date.now() + this.resetMs;
    throw err;
  };

  private async openRun<T>(fn: () => Promise<T>): Promise<T> {
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

  private timeoutError(): StoreError {
    return new StoreError(ErrorCode.ONLINE_STORE_TIMEOUT, `The online store did not answer within ${this.timeoutMs} ms.`, {
      hint: 'Check that the online store is up and reachable; the server retries it on the next request.',
    });
  }

  private withDeadline<T>(fn: () => Promise<T>): Promise<T> {
    let p: Promise<T>;
    try {
      p = fn();
    } catch (err) {
      return Promise.reject(err as Error);
    }
    let entry: Deadline | undefined;
    const timed = new Promise<T>((resolve, reject) => {
      entry = { at: performance.now() + this.timeoutMs, settled: false, reject };
      p.then(
        (v) => {
          entry!.settled = true;
          resolve(v);
        },
        (err: unknown) => {
          entry!.settled = true;
          reject(err as Error);
        },
      );
    });
    this.pending.push(entry!);
    this.timer ??= this.arm(this.timeoutMs);
    return timed;
  }

  private arm(ms: number): NodeJS.Timeout {
    const t = setTimeout(this.expire, Math.max(0, ms));
    // A guard with reads in flight must not keep a closing process alive on its own.
    t.unref();
    return t;
  }

  /** Rejects every call past its deadline, then waits for the oldest one still running. */
  private readonly expire = (): void => {
    this.timer = undefined;
    const now = performance.now();
    const q = this.pending;
    while (this.head < q.length) {
      const e = q[this.head]!;
      if (!e.settled && e.at > now) break;
      if (!e.settled) {
        e.settled = true;
        e.reject(this.timeoutError());
      }
      this.head++;
    }
    if (this.head === q.length) {
      q.length = 0;
      this.head = 0;
    } else {
      if (this.head > 1024) {
        q.splice(0, this.head);
        this.head = 0;
      }
      this.timer = this.arm(q[this.head]!.at - now);
    }
  };
}

interface Deadline {
  at: number;
  settled: boolean;
  reject: (err: Error) => void;
}
