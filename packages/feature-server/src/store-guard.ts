import {
  ConsecutiveBreaker,
  TimeoutStrategy,
  circuitBreaker,
  handleWhen,
  isBrokenCircuitError,
  isTaskCancelledError,
  timeout,
  wrap,
  type IPolicy,
} from 'cockatiel';
import { ErrorCode, FrecError, StoreError } from '@frec/core';

/** Store errors that mean "the store is down or slow", as opposed to a bad request. */
function isOutage(err: unknown): boolean {
  if (isTaskCancelledError(err)) return true;
  return err instanceof FrecError && (err.code === ErrorCode.ONLINE_STORE_UNAVAILABLE || err.code === ErrorCode.ONLINE_STORE_TIMEOUT);
}

/**
 * Guards online reads with a deadline and a circuit breaker, so a dead or hung store answers
 * 503 within `timeoutMs` and, after `threshold` consecutive outages, at once until a trial
 * read succeeds. A bad request (unknown feature, wrong key type) never trips the breaker.
 */
export class StoreGuard {
  private readonly policy: IPolicy;

  constructor(opts: { timeoutMs: number; threshold: number; resetMs: number }) {
    const breaker = circuitBreaker(handleWhen(isOutage), { halfOpenAfter: opts.resetMs, breaker: new ConsecutiveBreaker(opts.threshold) });
    this.policy = wrap(breaker, timeout(opts.timeoutMs, TimeoutStrategy.Aggressive));
    this.timeoutMs = opts.timeoutMs;
  }

  private readonly timeoutMs: number;

  /** Runs `fn` under the guard; outages come back as 503 StoreErrors. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    try {
      // A signal per call: cockatiel adds an abort listener to the caller's signal for each call in flight.
      return await this.policy.execute(() => fn(), new AbortController().signal);
    } catch (err) {
      if (isTaskCancelledError(err)) {
        throw new StoreError(ErrorCode.ONLINE_STORE_TIMEOUT, `The online store did not answer within ${this.timeoutMs} ms.`, {
          hint: 'Check that the online store is up and reachable; the server retries it on the next request.',
        });
      }
      if (isBrokenCircuitError(err)) {
        throw new StoreError(
          ErrorCode.ONLINE_STORE_UNAVAILABLE,
          'The online store is unavailable (several reads in a row failed); failing fast until it recovers.',
          {
            hint: 'Check that the online store is up; a trial read is made about once a second.',
          },
        );
      }
      throw err;
    }
  }
}
