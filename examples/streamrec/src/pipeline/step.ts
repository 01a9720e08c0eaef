import type { ProtocolName } from '../eval/protocols.js';
import type { StepTimer } from './step-timer.js';

/**
 * One step of the training pipeline: a name, what it takes (`Input`: results of earlier steps), its
 * own settings (`Config`, defaults in config.ts) and what it returns (`Result`). run-pipeline.ts
 * runs the steps in order and hands each one its config and the results it needs.
 */
export interface Step<Config, Input, Result> {
  /** The step's name in the pipeline, e.g. 'tune-blend'. */
  readonly name: string;
  run(input: Input, config: Config, ctx: StepContext): Promise<Result>;
}

/** A step that needs no settings. */
export type NoConfig = Record<string, never>;

/**
 * What every step may use: the run's seed, and the timer that prints progress and records each
 * phase's wall time and memory. A step of one protocol's split labels its phases with the protocol.
 */
export class StepContext {
  constructor(
    readonly seed: number,
    readonly timer: StepTimer,
    /** The protocol whose split the step works on; absent for the run's shared steps (load, features, register). */
    readonly protocol?: ProtocolName,
  ) {}

  /** The same run, for the steps of one protocol's split. */
  forProtocol(protocol: ProtocolName): StepContext {
    return new StepContext(this.seed, this.timer, protocol);
  }

  /** Runs and times one phase of a step; its timing is labelled '<protocol>:<phase>' in a protocol's step. */
  time<T>(phase: string, fn: () => Promise<T> | T): Promise<T> {
    return this.timer.step(this.label(phase), fn);
  }

  /** A progress update inside a phase, e.g. "epoch 2 loss 3.21". */
  progress(phase: string, message: string): void {
    this.timer.progress(this.label(phase), message);
  }

  /** Records work a worker thread finished (it overlaps the main thread's phases). */
  worker(what: string, seconds: number): void {
    this.timer.worker(this.label(what), seconds);
  }

  /** A plain line of the run's output. */
  log(message: string): void {
    this.timer.log(message);
  }

  private label(phase: string): string {
    return this.protocol ? `${this.protocol}:${phase}` : phase;
  }
}
