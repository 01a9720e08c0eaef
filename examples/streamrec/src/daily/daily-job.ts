import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FeatureStore, FrecError } from '@frec/core';
import { openModelRegistry, type ModelManifest, type ModelRegistry } from '@frec/model-registry';
import type { Ranker } from '@frec/model-serving/ranking';
import type { DeepPartial, StepConfigs } from '../pipeline/config.js';
import { featureServiceExists } from '../rollout/feature-service-exists.js';
import { gateRegisteredCandidate, type GateRegisteredOptions, type RankerLoader } from '../rollout/index.js';
import { loadRanker } from '../serve/load-models.js';
import { readMovieLens } from '../serve/movielens-snapshot.js';
import { buildStreamRec, type StreamRecOptions } from '../serve/streamrec-recommender.js';
import { DAILY_RETUNE_EVERY_DAYS, DAILY_WARM_START, DAILY_WARM_STEPS, holdoutFraction } from './daily-config.js';
import { mergeStepConfigs } from './merge-steps.js';
import { DailyJobErrorCode, dailyJobError } from './daily-errors.js';
import { writeDaySlice, type DaySlice } from './day-slice.js';
import { DAILY_STEPS, dayRange, DayStateStore, type DailyStep, type DayOutcome, type DayState, type FinishedStep } from './day-state.js';
import { heldOutCases, pairedHeldOut, type PairedHeldOut } from './held-out-eval.js';
import { dayArtifact, type TrainDayArgs, type TrainDayResult } from './train-day.js';
import { decideTuning, featureSchema, readTuningRecord, type TuningRecord } from './tuning-record.js';

/** Options of one day's run. */
export interface DailyJobOptions {
  /** The day, YYYY-MM-DD (UTC): events in [day 00:00, next day 00:00) are its new data. */
  day: string;
  /** The MovieLens folder the events come from (ratings.csv up to any time; later events are left out). */
  inputDir: string;
  /** The feature repo the job builds and materializes (its data/ holds the Parquet tables and the online store). */
  repoPath: string;
  /** Model registry location (folder or s3://...). */
  registry: string;
  /** State files, day slices and training logs. */
  workDir: string;
  seed?: number;
  /** 'now' promotes a candidate the gate passed; 'canary' notes it for the serving process's registrySync. Default 'now'. */
  rollout?: 'now' | 'canary';
  /** Step settings of the training pipeline over DAILY_STEP_CONFIGS. */
  steps?: DeepPartial<StepConfigs>;
  trainThreads?: number;
  /**
   * Start both models from production's last good pair (default DAILY_WARM_START), trained with
   * `warmSteps` over `steps`; the first day, with no production pair, trains cold.
   */
  warmStart?: boolean;
  /** Step settings of a warm-started day over `steps` (default DAILY_WARM_STEPS: fewer epochs). */
  warmSteps?: DeepPartial<StepConfigs>;
  /**
   * Search the tuned values again when production's were chosen this many days ago or more
   * (default DAILY_RETUNE_EVERY_DAYS); in between, the day reuses them (decideTuning).
   */
  retuneEveryDays?: number;
  /** Search the tuned values today whatever the schedule says (`--retune`). */
  retune?: boolean;
  /** Minimum held-out events (default MIN_HOLDOUT_EVENTS). */
  minHoldoutEvents?: number;
  /** Stop after this step (the state records it; the next run resumes). */
  until?: DailyStep;
  /**
   * NDCG@20 / Recall@20 a candidate may lose against production on the same held-out requests
   * (default: pairedTolerance, two standard errors of the paired difference, at least 0.005).
   */
  metricTolerance?: number;
  /** The candidate's p95 ranking time the gate allows (default: the recommender's ranking budget). */
  gateLatencyBudgetMs?: number;
  /**
   * Stage budgets (ms) of the request path the gate replays through (default: the recommender's).
   * A stage over its budget is a candidate error; tests on a loaded machine widen them.
   */
  gateBudgets?: StreamRecOptions['budgets'];
  /** Where the gate counts its decisions and failed checks (default: the gate's own recommender's metrics). */
  gateMetrics?: GateRegisteredOptions['gateMetrics'];
  /** How the gate loads a registered ranker (default load-models' loadRanker). */
  loadRanker?: RankerLoader;
  /** Progress lines (default: stdout). */
  log?: (line: string) => void;
}

/** What one run did: the day's outcome, or why it stopped. */
export interface DailyJobReport {
  day: string;
  /** 'completed' (outcome recorded now), 'already-done' (recorded by an earlier run), 'stopped' (until), 'clock-back', 'failed'. */
  status: 'completed' | 'already-done' | 'stopped' | 'clock-back' | 'failed';
  outcome?: DayState['outcome'];
  /** Steps this run skipped because an earlier run finished them. */
  resumed: DailyStep[];
  steps: DayState['steps'];
  error?: { code: string; message: string; step?: DailyStep };
  message: string;
  exitCode: number;
}

/** Exit codes: 0 done (promoted, canary noted, no events, already done), 1 failed (rerun resumes), 2 gate refused (production kept), 3 refused to run (clock went back), 64 usage. */
export const EXIT = { ok: 0, failed: 1, refused: 2, clockBack: 3, usage: 64 } as const;

const CHILD = fileURLToPath(new URL('./train-child.ts', import.meta.url));
const mib = (kib: number): number => Math.round(kib / 1024);
const exitOf = (o: DayOutcome): number => (o.kind === 'refused' ? EXIT.refused : EXIT.ok);

/**
 * Runs one day of StreamRec's production loop: slice (every event up to the end of the day,
 * checked row by row, with its sha256), train (the pipeline's steps in a child process: PIT
 * training set, both models, evaluation on the held-out newest events, registration as
 * candidates), materialize (the online store up to the end of the day, incrementally), gate (the
 * shadow gate on the day's users against the last good production model, then promotion or refusal
 * recorded in the registry). Each finished step is recorded in the day's state file; a rerun skips
 * them, and a finished day is reported, not redone.
 */
export async function runDailyJob(options: DailyJobOptions): Promise<DailyJobReport> {
  const { day } = options;
  const log = options.log ?? ((l: string) => process.stdout.write(`${l}\n`));
  const say = (l: string) => log(`[daily ${day}] ${l}`);
  const range = dayRange(day);
  if (!range)
    throw new FrecError('INVALID_REQUEST', `--day '${day}' is not a calendar day as YYYY-MM-DD.`, {
      hint: 'Pass e.g. --day 2018-09-16.',
      where: { option: '--day' },
    });
  const store = new DayStateStore(options.workDir);
  const release = store.lock(day);
  try {
    const existing = store.read(day);
    if (existing?.outcome) {
      const message = `day ${day} already finished at ${existing.outcome.finishedAt}: ${existing.outcome.message} (nothing redone)`;
      say(message);
      return {
        day,
        status: 'already-done',
        outcome: existing.outcome,
        resumed: [],
        steps: existing.steps,
        message,
        exitCode: exitOf(existing.outcome),
      };
    }
    const later = store.finishedDays().filter((d) => d > day);
    if (later.length > 0) {
      const message = `day ${day} is before the last finished day ${later.at(-1)}: the clock went back, or an old day was asked for; nothing trained, production untouched`;
      say(message);
      return { day, status: 'clock-back', resumed: [], steps: existing?.steps ?? {}, message, exitCode: EXIT.clockBack };
    }
    const state: DayState = existing ?? { day, steps: {}, attempts: [] };
    state.attempts.push({ startedAt: new Date().toISOString(), pid: process.pid });
    delete state.running;
    store.write(state);
    const resumed = DAILY_STEPS.filter((s) => state.steps[s]);
    if (resumed.length) say(`resuming after ${resumed.join(', ')} (finished by an earlier run)`);
    const registry = openModelRegistry(options.registry);
    const dirs = { slice: path.join(options.workDir, 'days', day), run: path.join(options.workDir, 'runs', day) };
    mkdirSync(dirs.run, { recursive: true });

    let current: DailyStep = 'slice';
    const step = async (
      name: DailyStep,
      fn: () => Promise<{ result: Record<string, unknown>; peakRssMiB?: number; cpuSeconds?: number }>,
    ) => {
      current = name;
      const done = state.steps[name];
      if (done) return done.result;
      say(`${name} ...`);
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      const { result, peakRssMiB, cpuSeconds } = await fn();
      const cpu = process.cpuUsage(cpu0);
      const finished: FinishedStep = {
        finishedAt: new Date().toISOString(),
        seconds: Math.round((performance.now() - t0) / 10) / 100,
        peakRssMiB: peakRssMiB ?? mib(process.resourceUsage().maxRSS),
        cpuSeconds: Math.round((cpuSeconds ?? (cpu.user + cpu.system) / 1e6) * 100) / 100,
        result,
      };
      state.steps[name] = finished;
      delete state.running;
      store.write(state);
      say(`${name} done in ${finished.seconds.toFixed(2)} s (CPU ${finished.cpuSeconds} s), peak RSS ${finished.peakRssMiB} MiB`);
      return result;
    };
    const finish = (outcome: DayOutcome): DailyJobReport => {
      state.outcome = { ...outcome, finishedAt: new Date().toISOString() };
      store.write(state);
      say(outcome.message);
      return {
        day,
        status: 'completed',
        outcome: state.outcome,
        resumed,
        steps: state.steps,
        message: outcome.message,
        exitCode: exitOf(outcome),
      };
    };
    const stopped = (after: DailyStep): DailyJobReport | undefined => {
      if (options.until !== after) return undefined;
      const message = `stopped after ${after} (--until); the next run resumes`;
      say(message);
      return { day, status: 'stopped', resumed, steps: state.steps, message, exitCode: EXIT.ok };
    };

    try {
      const slice = (await step('slice', async () => {
        const s = writeDaySlice(options.inputDir, dirs.slice, range);
        say(
          `slice: ${s.events} events up to the end of the day, ${s.eventsOnDay} on it from ${s.usersOnDay.length} users; ${s.laterEvents} later ones left out; sha256 ${s.sha256.slice(0, 12)}`,
        );
        return { result: s as unknown as Record<string, unknown> };
      })) as unknown as DaySlice;
      if (slice.eventsOnDay === 0) {
        return finish({
          kind: 'no-events',
          message: `no events on ${day}: nothing to train, production unchanged (${slice.events} earlier events kept)`,
        });
      }
      const s1 = stopped('slice');
      if (s1) return s1;

      const trained = (await step('train', async () => {
        const adopted = await registeredForDay(registry, day);
        if (adopted) {
          say(
            `train: ${Object.entries(adopted.versions)
              .map(([n, v]) => `${n} v${v}`)
              .join(', ')} already registered for ${day} (a run that crashed after registering): adopted`,
          );
          return { result: adopted as unknown as Record<string, unknown>, peakRssMiB: 0 };
        }
        const warmFrom = (options.warmStart ?? DAILY_WARM_START) ? await productionPair(registry) : undefined;
        const steps = warmFrom ? mergeStepConfigs(options.steps ?? {}, options.warmSteps ?? DAILY_WARM_STEPS) : options.steps;
        if (warmFrom) say(`train: warm start from production two_tower v${warmFrom.twoTower}, ranker v${warmFrom.ranker}`);
        const schema = featureSchema(options.repoPath);
        const tuning = options.retune
          ? { retune: true, why: 'asked to (--retune)' }
          : decideTuning(await productionTuning(registry), day, schema, options.retuneEveryDays ?? DAILY_RETUNE_EVERY_DAYS);
        say(`train: ${tuning.retune ? `searching the tuned values: ${tuning.why}` : tuning.why}`);
        const args: TrainDayArgs = {
          day,
          repoPath: options.repoPath,
          sliceDir: slice.dir,
          registry: options.registry,
          seed: options.seed ?? 42,
          testFraction: holdoutFraction(slice.events, slice.eventsOnDay, options.minHoldoutEvents),
          data: {
            sha256: slice.sha256,
            events: slice.events,
            ...(slice.firstEvent ? { firstEvent: slice.firstEvent } : {}),
            ...(slice.lastEvent ? { lastEvent: slice.lastEvent } : {}),
          },
          ...(options.trainThreads !== undefined ? { trainThreads: options.trainThreads } : {}),
          ...(steps ? { steps } : {}),
          ...(warmFrom ? { warmFrom } : {}),
          featureSchema: schema,
          ...(tuning.reuse ? { reuseTuning: tuning.reuse } : {}),
        };
        const result = await runTrainingChild(
          args,
          dirs.run,
          (pid) => {
            state.running = { step: 'train', pid, startedAt: new Date().toISOString() };
            store.write(state);
          },
          (l) => log(`[daily ${day}] train | ${l}`),
        );
        return {
          result: { ...result, warmFrom: warmFrom ?? null, retuned: !tuning.reuse, tuningWhy: tuning.why } as unknown as Record<
            string,
            unknown
          >,
          peakRssMiB: result.peakRssMiB,
          cpuSeconds: result.cpuSeconds,
        };
      })) as unknown as Pick<TrainDayResult, 'versions' | 'metrics' | 'trainingData'>;
      const s2 = stopped('train');
      if (s2) return s2;

      await step('materialize', async () => {
        const fs = await FeatureStore.open({ repoPath: options.repoPath });
        try {
          const r = await fs.materializeIncremental(new Date(range.endMs));
          const rows = r.views.reduce((n, v) => n + v.rows, 0);
          say(`materialize: ${rows} rows into the online store over ${r.views.length} views, up to ${new Date(range.endMs).toISOString()}`);
          return { result: { views: r.views.length, rows, end: new Date(range.endMs).toISOString() } };
        } finally {
          await fs.close();
        }
      });
      const s3 = stopped('materialize');
      if (s3) return s3;

      const gate = await step('gate', async () => ({ result: await gateDay(options, registry, slice, trained.versions, say) }));
      return finish(gate as unknown as DayOutcome);
    } catch (err) {
      const e = err as Error & { code?: string };
      const code = e.code ?? 'INTERNAL';
      state.attempts.at(-1)!.failed = { step: current, code, message: e.message, at: new Date().toISOString() };
      delete state.running;
      store.write(state);
      const message = `${current} failed [${code}]: ${e.message} — production keeps serving its last good model; rerun the day to resume at ${current}`;
      say(message);
      return {
        day,
        status: 'failed',
        resumed,
        steps: state.steps,
        error: { code, message: e.message, step: current },
        message,
        exitCode: EXIT.failed,
      };
    }
  } finally {
    release();
  }
}

/** The versions registered for the day by an earlier run (found by their daily/<day>.json artifact), when both models are there. */
async function registeredForDay(
  registry: ModelRegistry,
  day: string,
): Promise<Pick<TrainDayResult, 'versions' | 'metrics' | 'trainingData'> | undefined> {
  const found: ModelManifest[] = [];
  for (const name of ['two_tower', 'ranker']) {
    const m = (await registry.list(name).catch(() => [])).filter((x) => x.artifacts.some((a) => a.path === dayArtifact(day))).at(-1);
    if (!m) return undefined;
    found.push(m);
  }
  return {
    versions: Object.fromEntries(found.map((m) => [m.name, m.version])),
    metrics: Object.fromEntries(found.map((m) => [m.name, m.metrics])),
    trainingData: found[0]!.trainingData,
  };
}

/** Runs the training child; its output goes to the progress log and to train.log; a crash or kill is TRAINING_FAILED. */
function runTrainingChild(
  args: TrainDayArgs,
  runDir: string,
  onStart: (pid: number) => void,
  log: (l: string) => void,
): Promise<TrainDayResult> {
  const argsFile = path.join(runDir, 'train-args.json');
  const resultFile = path.join(runDir, 'train-result.json');
  rmSync(resultFile, { force: true });
  writeFileSync(argsFile, JSON.stringify(args));
  const logFile = createWriteStream(path.join(runDir, 'train.log'), { flags: 'a' });
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, argsFile, resultFile], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: process.env,
    });
    if (child.pid) onStart(child.pid);
    let tail = '';
    const lines = (chunk: Buffer) => {
      logFile.write(chunk);
      const text = chunk.toString('utf8');
      tail = (tail + text).slice(-2000);
      for (const l of text.split(/\r?\n|\r/)) if (l.trim()) log(stripAnsi(l));
    };
    child.stdout.on('data', lines);
    child.stderr.on('data', lines);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      logFile.end();
      if (code === 0 && existsSync(resultFile)) {
        resolve(JSON.parse(readFileSync(resultFile, 'utf8')) as TrainDayResult);
        return;
      }
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      const last = tail.trim().split('\n').filter(Boolean).at(-1) ?? '';
      reject(
        dailyJobError(
          DailyJobErrorCode.TRAINING_FAILED,
          `The training child (pid ${child.pid}) ${how} before registering the models${last ? ` (last line: ${last.slice(0, 200)})` : ''}.`,
          `Its output is in ${path.join(runDir, 'train.log')}; rerun the day to train again.`,
          { step: 'train', day: args.day },
        ),
      );
    });
  });
}

/**
 * The gate step: the candidate pair and production's last good pair first rank the same held-out
 * requests (the day's users, on the data up to the day's start: pairedHeldOut), then the day's
 * users are replayed through StreamRec's request path (built on the day's slice and the last good
 * production models) for the shadow checks; the candidate ranker is promoted, noted for its
 * canary, or refused (its two-tower follows it).
 */
async function gateDay(
  options: DailyJobOptions,
  registry: ModelRegistry,
  slice: DaySlice,
  versions: Record<string, number>,
  say: (l: string) => void,
): Promise<DayOutcome> {
  const exists = featureServiceExists(options.repoPath);
  const heldOut = await sameSliceComparison(options, registry, slice, versions, say);
  const streamrec = await buildStreamRec({
    dataDir: slice.dir,
    modelRegistry: options.registry,
    repoPath: options.repoPath,
    log: say,
    ...(options.gateBudgets ? { budgets: options.gateBudgets } : {}),
  });
  try {
    const users = trafficUsers(streamrec.snapshot.histories, slice.usersOnDay);
    const rollout = options.rollout ?? 'now';
    const { decision, candidate } = await gateRegisteredCandidate({
      registry,
      version: versions.ranker!,
      load: options.loadRanker ?? loadRanker,
      rollout: rollout === 'now' ? { kind: 'now', featureServiceExists: exists } : { kind: 'canary' },
      recommender: streamrec.recommender,
      catalog: streamrec.catalog,
      impressionsOf: streamrec.impressionsOf,
      traffic: users.map((userId) => ({ userId, count: 20 })),
      ...(heldOut
        ? {
            metrics: (['ndcg20', 'recall20'] as const).map((m) => ({ metric: `${HELD_OUT}/${m}`, tolerance: heldOut.tolerance[m] })),
            offlineMetrics: {
              candidate: { [`${HELD_OUT}/ndcg20`]: heldOut.candidate.ndcg20, [`${HELD_OUT}/recall20`]: heldOut.candidate.recall20 },
              production: { [`${HELD_OUT}/ndcg20`]: heldOut.production.ndcg20, [`${HELD_OUT}/recall20`]: heldOut.production.recall20 },
            },
          }
        : { metrics: [] }),
      ...(options.gateLatencyBudgetMs !== undefined ? { latencyBudgetMs: options.gateLatencyBudgetMs } : {}),
      gateMetrics: options.gateMetrics ?? {
        decisions: streamrec.metrics.gateDecisions,
        checkFailures: streamrec.metrics.gateCheckFailures,
      },
      log: say,
    });
    await (candidate as Ranker | undefined)?.close();
    const tower = versions.two_tower!;
    const label = Object.entries(versions)
      .map(([n, v]) => `${n} v${v}`)
      .join(', ');
    const extra = heldOut ? { heldOut } : {};
    if (decision.outcome === 'refused') {
      await registry.refuse('two_tower', tower, `its ranker v${versions.ranker} was refused by the shadow gate`);
      const prod = decision.production
        ? `${decision.production.label} keeps serving`
        : 'no production model; serving stays on its fallback';
      return {
        kind: 'refused',
        versions,
        reasons: decision.reasons,
        ...extra,
        message: `gate refused ${label} on ${decision.requests} requests: ${decision.reasons.join('; ')}; ${prod}`,
      };
    }
    if (rollout === 'now') {
      await registry.promote('two_tower', tower, {
        featureServiceExists: exists,
        reason: `promoted with its ranker v${versions.ranker} (shadow gate passed)`,
      });
      return {
        kind: 'promoted',
        versions,
        ...extra,
        message: `gate passed ${decision.checks.length} checks on ${decision.requests} requests: ${label} promoted to production`,
      };
    }
    await registry.note('two_tower', tower, 'canary', `its ranker v${versions.ranker} passed the shadow gate; canary starts`);
    return {
      kind: 'canary',
      versions,
      ...extra,
      message: `gate passed on ${decision.requests} requests: ${label} noted for the canary (the serving process's registrySync starts it)`,
    };
  } finally {
    await streamrec.close();
  }
}

/** The offline check's metric prefix: figures both pairs scored on the day's held-out requests. */
const HELD_OUT = 'held_out_day';

/**
 * The candidate pair and production's last good pair on the same held-out requests (the day's
 * users with a history before it, asked on the data up to the day's start, the truth being what
 * they first rated on the day). Neither pair trained on the day (the candidate's held-out slice
 * holds at least the day). Undefined when production has no complete pair (the first day).
 */
async function sameSliceComparison(
  options: DailyJobOptions,
  registry: ModelRegistry,
  slice: DaySlice,
  versions: Record<string, number>,
  say: (l: string) => void,
): Promise<PairedHeldOut | undefined> {
  const production = await productionPair(registry);
  if (!production) return undefined;
  const range = dayRange(options.day)!;
  const beforeDir = path.join(options.workDir, 'before', options.day);
  const before = writeDaySlice(options.inputDir, beforeDir, { startMs: range.startMs, endMs: range.startMs });
  try {
    const cases = heldOutCases(readMovieLens(before.dir), readMovieLens(slice.dir), slice.usersOnDay);
    const paired = await pairedHeldOut({
      beforeDir: before.dir,
      repoPath: options.repoPath,
      registry: options.registry,
      candidate: { twoTower: versions.two_tower!, ranker: versions.ranker! },
      production,
      cases,
      ...(options.metricTolerance !== undefined ? { fixedTolerance: options.metricTolerance } : {}),
    });
    const f = (x: number) => x.toFixed(4);
    say(
      `held-out day: ${paired.users} requests; NDCG@20 candidate ${f(paired.candidate.ndcg20)} vs production ${f(paired.production.ndcg20)} ` +
        `(tolerance ${f(paired.tolerance.ndcg20)}), Recall@20 ${f(paired.candidate.recall20)} vs ${f(paired.production.recall20)} ` +
        `(tolerance ${f(paired.tolerance.recall20)})`,
    );
    return paired;
  } finally {
    rmSync(beforeDir, { recursive: true, force: true });
  }
}

/** The tuning record production's pair serves with; undefined without a pair, a record, or with two records that disagree. */
async function productionTuning(registry: ModelRegistry): Promise<TuningRecord | undefined> {
  const [tt, rk] = await Promise.all([registry.lastGood('two_tower'), registry.lastGood('ranker')]);
  if (!tt || !rk) return undefined;
  const [a, b] = await Promise.all([readTuningRecord(registry, tt.manifest), readTuningRecord(registry, rk.manifest)]);
  return a && b && JSON.stringify(a) === JSON.stringify(b) ? b : undefined;
}

/** Production's last good two-tower and ranker, when both exist. */
async function productionPair(registry: ModelRegistry): Promise<{ twoTower: number; ranker: number } | undefined> {
  const [tt, rk] = await Promise.all([registry.lastGood('two_tower'), registry.lastGood('ranker')]);
  return tt && rk ? { twoTower: tt.manifest.version, ranker: rk.manifest.version } : undefined;
}

/** The gate's traffic: the day's users with a history before it, else (too few) the most recently active users, 10 at least. */
function trafficUsers(histories: Map<number, { timesMs: number[] }>, usersOnDay: readonly number[], min = 10): number[] {
  const out = usersOnDay.filter((u) => (histories.get(u)?.timesMs.length ?? 0) > 1);
  if (out.length >= min) return out;
  const recent = [...histories.entries()].sort((a, b) => (b[1].timesMs.at(-1) ?? 0) - (a[1].timesMs.at(-1) ?? 0)).map(([u]) => u);
  for (const u of recent) {
    if (out.length >= min) break;
    if (!out.includes(u)) out.push(u);
  }
  return out;
}

const ESC = String.fromCharCode(27);
/** The child's TTY escape sequences (its progress line redraws) left out of the job's log. */
function stripAnsi(line: string): string {
  return line
    .split(ESC)
    .map((part, i) => (i === 0 ? part : part.replace(/^\[[0-9;]*[A-Za-z]/, '')))
    .join('');
}
