import {
  BrokenCircuitError,
  CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  TaskCancelledError,
  TimeoutStrategy,
  circuitBreaker,
  handleAll,
  timeout,
  wrap,
} from 'cockatiel';

/** Why a guarded call produced no value. */
export type StageFailure = 'timeout' | 'circuit_open' | 'error';

/** The outcome of a guarded call: a value, or the reason there is none (never a throw). */
export type StageResult<T> = { ok: true; value: T } | { ok: false; reason: StageFailure; error: unknown };

/** Options of a guarded stage. */
export interface GuardedStageOptions {
  /** Timeout in milliseconds: the stage's latency budget. */
  timeoutMs: number;
  /** Consecutive failures (errors or timeouts) that open the breaker (default 5). */
  failuresToOpen?: number;
  /** How long the breaker stays open before a trial call (default 2000 ms). */
  halfOpenAfterMs?: number;
}

/**
 * A dependency call with a latency budget and a circuit breaker (cockatiel): a slow or dead
 * dependency costs at most its budget per request, and after repeated failures it is skipped
 * outright until a trial call succeeds again.
 */
export class GuardedStage {
  readonly breaker: CircuitBreakerPolicy;
  private readonly timeoutMs: number;

  constructor(
    readonly name: string,
    options: GuardedStageOptions,
  ) {
    this.timeoutMs = options.timeoutMs;
    this.breaker = circuitBreaker(handleAll, {
      halfOpenAfter: options.halfOpenAfterMs ?? 2000,
      breaker: new ConsecutiveBreaker(options.failuresToOpen ?? 5),
    });
  }

  /** Breaker state: 'closed', 'open', 'half-open' or 'isolated'. */
  get state(): 'closed' | 'open' | 'half-open' | 'isolated' {
    switch (this.breaker.state) {
      case CircuitState.Closed:
        return 'closed';
      case CircuitState.Open:
        return 'open';
      case CircuitState.HalfOpen:
        return 'half-open';
      default:
        return 'isolated';
    }
  }

  /** Runs `fn` within `budgetMs` (default: the stage timeout); `fn` should honour the abort signal. */
  async run<T>(fn: (signal: AbortSignal) => Promise<T>, budgetMs?: number): Promise<StageResult<T>> {
    const ms = Math.max(1, Math.min(budgetMs ?? this.timeoutMs, this.timeoutMs));
    // Aggressive: the caller is released at the deadline even if `fn` ignores the signal (a hung model).
    // abortOnReturn off: aborting a finished call's signal only builds a DOMException (with a stack
    // trace) per stage per request; a timed-out call is still aborted.
    const policy = wrap(this.breaker, timeout(ms, { strategy: TimeoutStrategy.Aggressive, abortOnReturn: false }));
    try {
      // A signal per call: without one, cockatiel hangs every concurrent call's listener on one shared signal.
      const value = await policy.execute(({ signal }) => fn(signal), new AbortController().signal);
      return { ok: true, value };
    } catch (error) {
      if (error instanceof BrokenCircuitError) return { ok: false, reason: 'circuit_open', error };
      if (error instanceof TaskCancelledError) return { ok: false, reason: 'timeout', error };
      return { ok: false, reason: 'error', error };
    }
  }
}
