import { stableShare } from './stable-share.js';

/** Which model answers a request. */
export type CanaryArm = 'production' | 'candidate';

/** What the candidate must keep while it serves its share. */
export interface CanaryBudgets {
  /** Largest share of candidate requests that may fail (threw, timed out, non-finite scores); default 0.01. */
  errorRate: number;
  /** Largest p95 of a candidate request, in milliseconds. */
  p95Ms: number;
}

/** A canary transition, handed to `onEvent` (the caller records it in the model registry). */
export interface CanaryEvent {
  kind: 'step' | 'promoted' | 'rolled_back';
  model: string;
  candidate: string;
  /** Share of traffic the candidate serves after the event (0 after a rollback). */
  share: number;
  reason: string;
  stats: CanaryStepStats;
}

/** Candidate requests observed at the current step. */
export interface CanaryStepStats {
  step: number;
  share: number;
  requests: number;
  errors: number;
  p95Ms: number;
}

/** Options of a canary. */
export interface CanaryOptions {
  model: string;
  /** The candidate's label (e.g. 'ranker@7'); the default hash salt, so each candidate gets its own users. */
  candidate: string;
  /** Shares of traffic, in order (default 5%, 25%, 100%). */
  steps?: readonly number[];
  /** Candidate requests within budget at a step before the next step (default 200). */
  requestsPerStep?: number;
  /** Candidate requests at a step before its error rate or p95 can trigger a rollback (default 20). */
  minRequestsToJudge?: number;
  budgets: Partial<CanaryBudgets> & Pick<CanaryBudgets, 'p95Ms'>;
  salt?: string;
  onEvent?: (event: CanaryEvent) => void | Promise<void>;
  /** Where a failing onEvent is reported (default stderr). */
  onEventError?: (err: unknown) => void;
}

/** Where the canary stands. */
export interface CanarySnapshot extends CanaryStepStats {
  model: string;
  candidate: string;
  status: 'running' | 'promoted' | 'rolled_back';
  reason?: string;
}

/**
 * A canary rollout: a stable hash of the user id sends `share` of users to the candidate; the
 * controller advances the share step by step (5% -> 25% -> 100%) once `requestsPerStep`
 * candidate requests kept the budgets, promotes after the last step, and rolls back (share 0)
 * as soon as the candidate's error rate or p95 at the current step breaches its budget. All
 * decisions are by request counts, never by wall time.
 * @example
 * const canary = new CanaryController({ model: 'ranker', candidate: 'ranker@7', budgets: { p95Ms: 80 }, onEvent: record });
 * const arm = canary.arm(userId);           // per request
 * canary.record(arm, { ok, ms });            // after it
 */
export class CanaryController {
  private readonly steps: readonly number[];
  private readonly perStep: number;
  private readonly minJudge: number;
  private readonly budgets: CanaryBudgets;
  private readonly salt: string;
  private stepIndex = 0;
  private status: CanarySnapshot['status'] = 'running';
  private reason: string | undefined;
  private requests = 0;
  private errors = 0;
  private latencies: number[] = [];
  private pending: Promise<void> = Promise.resolve();

  constructor(private readonly options: CanaryOptions) {
    this.steps = options.steps ?? [0.05, 0.25, 1];
    if (this.steps.length === 0 || this.steps.some((s, i) => !(s > 0 && s <= 1) || (i > 0 && s <= this.steps[i - 1]!)))
      throw new RangeError(`canary steps must be increasing shares in (0, 1], got ${JSON.stringify(this.steps)}`);
    this.perStep = options.requestsPerStep ?? 200;
    this.minJudge = Math.min(options.minRequestsToJudge ?? 20, this.perStep);
    this.budgets = { errorRate: options.budgets.errorRate ?? 0.01, p95Ms: options.budgets.p95Ms };
    this.salt = options.salt ?? options.candidate;
  }

  /** The candidate's current share of users (0 once rolled back, 1 once promoted). */
  get share(): number {
    if (this.status === 'rolled_back') return 0;
    if (this.status === 'promoted') return 1;
    return this.steps[this.stepIndex]!;
  }

  /** Which model answers this user now. */
  arm(userId: string | number): CanaryArm {
    const share = this.share;
    if (share <= 0) return 'production';
    return stableShare(userId, this.salt) < share ? 'candidate' : 'production';
  }

  /** Records one answered request of `arm`; only candidate requests move the canary. */
  record(arm: CanaryArm, outcome: { ok: boolean; ms: number }): void {
    if (arm !== 'candidate' || this.status !== 'running') return;
    this.requests++;
    if (!outcome.ok) this.errors++;
    this.latencies.push(outcome.ms);
    const stats = this.stats();
    const breach = this.breach(stats);
    if (breach) return this.finish('rolled_back', breach, stats);
    if (this.requests < this.perStep) return;
    if (this.stepIndex === this.steps.length - 1) {
      return this.finish('promoted', `${this.requests} requests at 100% within budget (${describe(stats)})`, stats);
    }
    this.stepIndex++;
    this.requests = 0;
    this.errors = 0;
    this.latencies = [];
    this.emit({
      kind: 'step',
      share: this.share,
      reason: `step ${this.stepIndex + 1}/${this.steps.length}: ${pct(this.share)} of users after ${stats.requests} requests at ${pct(stats.share)} within budget (${describe(stats)})`,
      stats,
    });
  }

  /** The current step's figures and the canary's status. */
  snapshot(): CanarySnapshot {
    return {
      model: this.options.model,
      candidate: this.options.candidate,
      status: this.status,
      ...(this.reason ? { reason: this.reason } : {}),
      ...this.stats(),
    };
  }

  /** Waits for onEvent calls in flight (tests, shutdown). */
  async settled(): Promise<void> {
    await this.pending;
  }

  private stats(): CanaryStepStats {
    return {
      step: this.stepIndex + 1,
      share: this.steps[this.stepIndex]!,
      requests: this.requests,
      errors: this.errors,
      p95Ms: p95(this.latencies),
    };
  }

  private breach(s: CanaryStepStats): string | undefined {
    // The step's whole error allowance spent is a breach however few requests were seen.
    const allowance = Math.floor(this.budgets.errorRate * this.perStep);
    if (s.errors > allowance || (s.requests >= this.minJudge && s.errors / s.requests > this.budgets.errorRate))
      return `error rate ${pct(s.errors / s.requests)} (${s.errors} of ${s.requests} requests) over the ${pct(this.budgets.errorRate)} budget at ${pct(s.share)}`;
    if (s.requests >= this.minJudge && s.p95Ms > this.budgets.p95Ms)
      return `p95 ${s.p95Ms.toFixed(1)} ms over the ${this.budgets.p95Ms} ms budget at ${pct(s.share)} (${s.requests} requests)`;
    return undefined;
  }

  private finish(status: 'promoted' | 'rolled_back', reason: string, stats: CanaryStepStats): void {
    this.status = status;
    this.reason = reason;
    this.emit({ kind: status, share: this.share, reason, stats });
  }

  private emit(e: Omit<CanaryEvent, 'model' | 'candidate'>): void {
    const cb = this.options.onEvent;
    if (!cb) return;
    const event: CanaryEvent = { model: this.options.model, candidate: this.options.candidate, ...e };
    const report =
      this.options.onEventError ?? ((err: unknown) => process.stderr.write(`canary: recording ${e.kind} failed: ${String(err)}\n`));
    // Events are recorded in order, off the request path.
    this.pending = this.pending.then(async () => {
      try {
        await cb(event);
      } catch (err) {
        report(err);
      }
    });
  }
}

function p95(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(0.95 * sorted.length) - 1)]!;
}

const pct = (x: number): string => `${Number((x * 100).toFixed(2))}%`;
const describe = (s: CanaryStepStats): string => `${s.errors} errors, p95 ${s.p95Ms.toFixed(1)} ms`;
