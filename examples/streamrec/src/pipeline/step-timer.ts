/** Wall time and memory of one pipeline step. */
export interface StepTiming {
  step: string;
  seconds: number;
  /** Process peak resident memory at the end of the step (MiB): the high-water mark so far. */
  peakRssMiB: number;
  /** Resident memory at the end of the step (MiB). */
  rssMiB: number;
}

const mib = (bytes: number): number => Math.round((bytes / 1048576) * 10) / 10;

/** Times pipeline steps and prints progress lines (an updating line on a TTY, plain lines otherwise). */
export class StepTimer {
  readonly timings: StepTiming[] = [];
  /** Work done off the main thread (tower trainings on worker threads), overlapping the steps. */
  readonly workerTimings: StepTiming[] = [];
  private readonly tty = Boolean(process.stdout.isTTY);
  constructor(private readonly quiet = false) {}

  /** Runs one step, recording its wall time and memory. */
  async step<T>(name: string, fn: () => Promise<T> | T): Promise<T> {
    this.log(`[${name}] ...`);
    const t0 = performance.now();
    const out = await fn();
    const t: StepTiming = {
      step: name,
      seconds: Math.round((performance.now() - t0) / 10) / 100,
      peakRssMiB: mib(process.resourceUsage().maxRSS * 1024),
      rssMiB: mib(process.memoryUsage().rss),
    };
    this.timings.push(t);
    this.endLine();
    this.log(`[${name}] done in ${t.seconds.toFixed(2)} s, peak RSS ${t.peakRssMiB} MiB`);
    return out;
  }

  /** Records work a worker thread finished; its wall time overlaps the main thread's steps. */
  worker(name: string, seconds: number): void {
    this.workerTimings.push({
      step: name,
      seconds: Math.round(seconds * 100) / 100,
      peakRssMiB: mib(process.resourceUsage().maxRSS * 1024),
      rssMiB: mib(process.memoryUsage().rss),
    });
  }

  /** A progress update inside a step, e.g. "epoch 2/5 loss 3.21 (41k ex/s)". */
  progress(name: string, message: string): void {
    if (this.quiet) return;
    if (this.tty) process.stdout.write(`\r\x1b[2K[${name}] ${message}`);
    else process.stdout.write(`[${name}] ${message}\n`);
  }

  /** A plain line. */
  log(message: string): void {
    if (!this.quiet) process.stdout.write(`${message}\n`);
  }

  private endLine(): void {
    if (this.tty && !this.quiet) process.stdout.write('\r\x1b[2K');
  }

  /** Total wall time of the recorded steps. */
  get totalSeconds(): number {
    return Math.round(this.timings.reduce((s, t) => s + t.seconds, 0) * 100) / 100;
  }
}
