import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DailyJobErrorCode, dailyJobError } from './daily-errors.js';

/** The daily job's steps, in the order they run. */
export const DAILY_STEPS = ['slice', 'train', 'materialize', 'gate'] as const;
export type DailyStep = (typeof DAILY_STEPS)[number];

/** A finished step: when, how long, peak memory, and what it produced (read back on a resumed run). */
export interface FinishedStep {
  finishedAt: string;
  seconds: number;
  /** Peak resident memory of the process that ran the step (the training child for 'train'), MiB. */
  peakRssMiB: number;
  /** CPU seconds (user + system) of the process that ran the step, all its threads: steadier than wall time on a shared machine. */
  cpuSeconds: number;
  result: Record<string, unknown>;
}

/** Candidate and production on the day's held-out requests, as the gate compared them. */
export interface HeldOutFigures {
  users: number;
  candidate: { ndcg20: number; recall20: number };
  production: { ndcg20: number; recall20: number };
  tolerance: { ndcg20: number; recall20: number };
}

/** How a day ended. */
export type DayOutcome =
  | { kind: 'promoted'; message: string; versions: Record<string, number>; heldOut?: HeldOutFigures }
  | { kind: 'canary'; message: string; versions: Record<string, number>; heldOut?: HeldOutFigures }
  | { kind: 'refused'; message: string; versions: Record<string, number>; reasons: string[]; heldOut?: HeldOutFigures }
  | { kind: 'no-events'; message: string };

/** One run's attempt at the day: a failure is recorded here and the next run resumes after the last finished step. */
export interface Attempt {
  startedAt: string;
  pid: number;
  failed?: { step: DailyStep; code: string; message: string; at: string };
}

/** The per-day state file (<workDir>/state/<day>.json). */
export interface DayState {
  day: string;
  steps: Partial<Record<DailyStep, FinishedStep>>;
  /** The step running now and the process running it (the training child's pid for 'train'). */
  running?: { step: DailyStep; pid: number; startedAt: string };
  attempts: Attempt[];
  outcome?: DayOutcome & { finishedAt: string };
}

const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

/** The per-day state files of one work folder: written atomically (temp file + rename), so a crash never leaves half a file. */
export class DayStateStore {
  readonly dir: string;
  constructor(workDir: string) {
    this.dir = path.join(workDir, 'state');
    mkdirSync(this.dir, { recursive: true });
  }

  file(day: string): string {
    return path.join(this.dir, `${day}.json`);
  }

  read(day: string): DayState | undefined {
    const f = this.file(day);
    if (!existsSync(f)) return undefined;
    try {
      return JSON.parse(readFileSync(f, 'utf8')) as DayState;
    } catch (err) {
      throw dailyJobError(
        DailyJobErrorCode.STATE_CORRUPT,
        `The daily job's state file '${f}' cannot be read: ${(err as Error).message}`,
        'Move the file aside to rerun the day from the start (registered models stay in the registry).',
        { file: f, day },
      );
    }
  }

  write(state: DayState): void {
    const f = this.file(state.day);
    const tmp = `${f}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
    renameSync(tmp, f);
  }

  /** The days with a recorded outcome, oldest first. */
  finishedDays(): string[] {
    return readdirSync(this.dir)
      .filter((f) => f.endsWith('.json') && DAY_RE.test(f.slice(0, -5)))
      .map((f) => f.slice(0, -5))
      .filter((d) => this.read(d)?.outcome !== undefined)
      .sort();
  }

  /**
   * Takes the day's lock (an exclusive lock file holding the pid); a lock whose process is gone is
   * taken over. Returns the release function.
   */
  lock(day: string): () => void {
    const f = path.join(this.dir, `${day}.lock`);
    for (let tries = 0; tries < 2; tries++) {
      try {
        const fd = openSync(f, 'wx');
        writeFileSync(fd, String(process.pid));
        closeSync(fd);
        return () => rmSync(f, { force: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const holder = Number(readFileSync(f, 'utf8'));
        if (holder && holder !== process.pid && alive(holder)) {
          throw dailyJobError(
            DailyJobErrorCode.DAY_LOCKED,
            `Day ${day} is being run by process ${holder} (lock '${f}').`,
            'Wait for that run to end; the CronJob forbids concurrent runs, so this is a manual start beside it.',
            { day, file: f },
          );
        }
        rmSync(f, { force: true });
      }
    }
    throw dailyJobError(DailyJobErrorCode.DAY_LOCKED, `Cannot take the lock '${f}' of day ${day}.`, 'Remove the lock file.', {
      day,
      file: f,
    });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Checks a --day value: a real calendar day as YYYY-MM-DD. Returns its [start, end) in UTC ms. */
export function dayRange(day: string): { startMs: number; endMs: number } | undefined {
  if (!DAY_RE.test(day)) return undefined;
  const startMs = Date.parse(`${day}T00:00:00.000Z`);
  if (!Number.isFinite(startMs) || new Date(startMs).toISOString().slice(0, 10) !== day) return undefined;
  return { startMs, endMs: startMs + 86_400_000 };
}
