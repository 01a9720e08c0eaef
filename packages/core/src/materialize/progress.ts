/** One progress event of a view's materialization. */
export interface MaterializeProgress {
  view: string;
  phase: 'start' | 'batch' | 'done';
  rows: number;
  /** Rows the view will move, when the offline store can count them; null otherwise. */
  totalRows: number | null;
  elapsedSeconds: number;
  rowsPerSecond: number;
  /** Estimated seconds left, when the total is known. */
  etaSeconds: number | null;
}

/** Turns row counts into progress events with rate and ETA. */
export class ProgressTracker {
  private rows = 0;
  private total: number | null = null;
  private t0 = performance.now();

  constructor(
    private readonly view: string,
    private readonly sink?: (p: MaterializeProgress) => void,
  ) {}

  start(total: number | null): void {
    this.total = total;
    this.t0 = performance.now();
    this.emit('start');
  }

  advance(n: number): void {
    this.rows += n;
    this.emit('batch');
  }

  done(): void {
    this.emit('done');
  }

  private emit(phase: MaterializeProgress['phase']): void {
    if (!this.sink) return;
    const elapsed = (performance.now() - this.t0) / 1000;
    const rate = elapsed > 0 ? this.rows / elapsed : 0;
    const eta = this.total !== null && rate > 0 ? Math.max(0, (this.total - this.rows) / rate) : null;
    this.sink({
      view: this.view,
      phase,
      rows: this.rows,
      totalRows: this.total,
      elapsedSeconds: elapsed,
      rowsPerSecond: rate,
      etaSeconds: eta,
    });
  }
}
