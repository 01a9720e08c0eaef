/** One progress event of a view's materialization. */
export interface MaterializeProgress {
  view: string;
  phase: 'start' | 'day' | 'batch' | 'done';
  /** Aggregation views, phase 'day': the day just tiled (ISO date) and how many of how many. */
  day?: { date: string; done: number; total: number };
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

  /** An aggregation view tiled one more day of events. */
  tiledDay(day: { date: string; done: number; total: number }): void {
    this.emit('day', day);
  }

  private emit(phase: MaterializeProgress['phase'], day?: MaterializeProgress['day']): void {
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
      ...(day ? { day } : {}),
    });
  }
}
