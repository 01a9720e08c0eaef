import { Worker } from 'node:worker_threads';
import { ErrorCode, FrecError, type ErrorCode as Code } from '@frec/core';
import type { EpochStats, TwoTowerParams } from '../models/types.js';
import { trainTowerJob, type TowerJob, type TowerJobMessage, type TowerWorkerReply } from './protocol.js';

export type { TowerJob } from './protocol.js';

interface Pending {
  job: TowerJobMessage;
  onEpoch: ((stats: EpochStats) => void) | undefined;
  resolve: (p: TwoTowerParams) => void;
  reject: (e: Error) => void;
}

const WORKER_ENTRY = new URL('./worker-entry.mjs', import.meta.url);

/**
 * Trains two-towers on worker threads, first come first served, so the towers of an ensemble (and
 * a refit) use every core while the main thread tunes and trains the ranker (ADR 0075). Each
 * training is the same call as `trainTwoTower` in process, so a seed gives the same weights bit for
 * bit either way. `threads: 0` trains in process, one job at a time.
 */
export class TowerTrainingPool {
  private readonly queue: Pending[] = [];
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, Pending>();
  private started = 0;
  private nextId = 1;
  private closed = false;

  constructor(private readonly threads: number) {}

  /** Queues one training; resolves with its parameters. */
  train(job: TowerJob, onEpoch?: (stats: EpochStats) => void): Promise<TwoTowerParams> {
    if (this.closed)
      return Promise.reject(
        new FrecError(ErrorCode.INVALID_USAGE, 'The tower training pool is closed.', { hint: 'Create a new TowerTrainingPool.' }),
      );
    if (this.threads <= 0) {
      try {
        return Promise.resolve(trainTowerJob(job, onEpoch));
      } catch (e) {
        return Promise.reject(e as Error);
      }
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ job: { ...job, id: this.nextId++ }, onEpoch, resolve, reject });
      this.dispatch();
    });
  }

  /** Stops the workers; queued and running trainings are rejected. */
  async close(): Promise<void> {
    this.closed = true;
    const stopped = new FrecError(ErrorCode.INVALID_USAGE, 'The tower training pool was closed before this training finished.');
    for (const p of this.queue.splice(0)) p.reject(stopped);
    for (const [, p] of this.busy) p.reject(stopped);
    const workers = [...this.idle, ...this.busy.keys()];
    this.idle.length = 0;
    this.busy.clear();
    await Promise.all(workers.map((w) => w.terminate()));
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      const worker = this.idle.pop() ?? (this.started < this.threads ? this.spawn() : undefined);
      if (!worker) return;
      const p = this.queue.shift()!;
      this.busy.set(worker, p);
      worker.postMessage(p.job);
    }
  }

  private spawn(): Worker {
    this.started++;
    const worker = new Worker(WORKER_ENTRY);
    worker.on('message', (m: TowerWorkerReply) => {
      const p = this.busy.get(worker);
      if (!p || p.job.id !== m.id) return;
      if (m.type === 'epoch') return p.onEpoch?.(m.stats);
      this.busy.delete(worker);
      if (m.type === 'done') p.resolve(m.params);
      else {
        const e = new FrecError((m.error.code as Code | undefined) ?? ErrorCode.INTERNAL, m.error.message);
        e.name = m.error.name;
        p.reject(e);
      }
      this.idle.push(worker);
      this.dispatch();
    });
    let dead = false;
    const fail = (why: string): void => {
      if (dead) return;
      dead = true;
      const p = this.busy.get(worker);
      this.busy.delete(worker);
      this.started--;
      const i = this.idle.indexOf(worker);
      if (i >= 0) this.idle.splice(i, 1);
      p?.reject(
        new FrecError(ErrorCode.INTERNAL, `A two-tower training worker ${why}.`, {
          hint: 'Rerun with trainThreads: 0 to train in process and see the failure directly.',
        }),
      );
      if (!this.closed) this.dispatch();
    };
    worker.on('error', (e) => fail(`failed: ${e.message}`));
    worker.on('exit', (code) => {
      if (!this.closed) fail(`exited with code ${code}`);
    });
    return worker;
  }
}
