import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { openModelRegistry, type ModelRegistry } from '@frec/model-registry';
import { pairedBootstrap, type EvalResult } from '../eval/evaluate.js';
import { ndcgAtK, recallAtK } from '../eval/metrics.js';
import { Rng } from '../nn/rng.js';
import { loadProductionModels } from '../serve/load-models.js';
import { readMovieLens, type MovieLensSnapshot } from '../serve/movielens-snapshot.js';
import { buildStreamRec } from '../serve/streamrec-recommender.js';
import type { DeepPartial, StepConfigs } from '../pipeline/config.js';
import { runDailyJob, type DailyJobReport } from './daily-job.js';
import { coldStartCases, ratingLines, sessionCases, withExtraRatings, type SessionCase } from './replay-extra.js';
import { ReplayStream } from './replay-stream.js';
import { activeNextDay, checkInjectDay, serveNextDay, servingTable, type ReplayServingOptions, type ServedDay } from './replay-serving.js';
import { repoOnlineUserFeatures } from '../serve/online-user-features.js';

/** Options of the replay experiment. */
export interface ReplayOptions {
  /** The MovieLens folder replayed (default: the vendored latest-small). */
  inputDir: string;
  /** Where the replay's feature repo, registry, state and report go. */
  outDir: string;
  /** The feature repo definitions copied into outDir (features.ts, feature_store.yaml). */
  repoTemplate: string;
  /** Days with events replayed, the newest of the data set (each needs a next day with events); the least when `minRequests` is set. */
  days: number;
  /**
   * Replay more of the newest event days, one at a time up to `maxDays`, until the window's
   * next-day requests (users active on the next event day with a history before it and a new
   * item) reach this many. Counted from the data before anything is trained, so the window never
   * depends on a result.
   */
  minRequests?: number;
  maxDays?: number;
  /** Other users sampled (seeded) beside every user active in the replay window and the 14 days before it. */
  sampleUsers: number;
  seed?: number;
  steps?: DeepPartial<StepConfigs>;
  /** The daily job's minimum held-out events (default 100 here: latest-small's last weeks hold 500 events in about 2-3 weeks). */
  minHoldoutEvents?: number;
  /** Users left out of the replay's source asked as cold-start users (default 60). */
  coldStartUsers?: number;
  /** Recent-popularity windows (days) tried on the validation days before the replay window. */
  popularityWindows?: readonly number[];
  /** The Redis the replay's events stream through (default redis://127.0.0.1:6379). */
  redisUrl?: string;
  /** Names the run's topic and Redis keys (default: streamrec-replay-<pid>-<time>). */
  runId?: string;
  /**
   * How a candidate the gate passed goes live: 'canary' (default) notes it, and the day's serving
   * process runs its canary on the next day's requests; 'now' promotes it in the job. The first
   * day, with no production pair to fall back on, is promoted at once either way.
   */
  rollout?: 'canary' | 'now';
  /** The serving process's canary, budgets, traffic and fault injection (replay-serving.ts). */
  serving?: ReplayServingOptions;
  /** The gate's NDCG@20 / Recall@20 tolerance (default the daily job's paired tolerance); tests that need a candidate to pass widen it. */
  metricTolerance?: number;
  log?: (line: string) => void;
}

/** One day's events through the broker: published, applied by the stream worker, appended to the daily job's log, and what the job's slice held. */
export interface StreamCounts {
  day: string;
  published: number;
  workerApplied: number;
  appended: number;
  /** Of them, the next day's session prefixes published after the day's job (the session experiment). */
  sessionPublished: number;
  /** The slice the daily job wrote from the event log: every event up to the end of the day, and those on the day. */
  sliceEvents: number;
  sliceEventsOnDay: number;
  /** Source events up to the end of the day: what the slice must hold for nothing to be lost. */
  sourceEvents: number;
}

/** One evaluated request: a user active on the next day, with that day's new items as the truth. */
interface Case {
  day: string;
  next: string;
  user: number;
  truth: Set<number>;
}

type Ranked = Map<string, number[]>;

/** What the replay measured. */
export interface ReplayReport {
  days: string[];
  cases: number;
  users: number;
  events: number;
  window: number;
  rows: Array<{ system: string; ndcg20: number; recall20: number }>;
  comparisons: Array<{ a: string; b: string; diff: number; lo: number; hi: number }>;
  /** Per ISO week of the next days: requests, distinct items each system listed, and that as a share of the catalogue. */
  coverage: Array<{ week: string; requests: number; items: Record<string, number>; percent: Record<string, number> }>;
  /** Next-day requests after half of the day's session was streamed in, against the batch features of the day before. */
  session: {
    cases: number;
    rows: Array<{ system: string; ndcg20: number; recall20: number }>;
    diff: { diff: number; lo: number; hi: number };
    /** The main table's daily lists of the same users, against their whole next day. */
    anchor: { ndcg20: number; recall20: number };
  };
  /** Users no replayed model saw, after their first k ratings, ranked by the last daily model and the popularity baselines. */
  coldStart: Array<{ k: number; users: number; system: string; ndcg20: number; recall20: number }>;
  /** Daily against each popularity baseline per k, paired over the same users. */
  coldStartDiffs: Array<{ k: number; b: string; diff: number; lo: number; hi: number }>;
  /** From the ranker's registry history, as the job and the serving process wrote it; canary figures from the serving days. */
  loop: {
    promotions: number;
    /** Of the promotions, those the serving process's canary made. */
    canaryPromotions: number;
    refusals: number;
    rollbacks: number;
    failed: number;
    noEvents: number;
    canaries: number;
    unsettled: number;
  };
  dayOutcomes: Array<{ day: string; outcome: string; seconds: number; promotions: number; refusals: number; rollbacks: number }>;
  /** Each day's serving process (none before a production pair exists). */
  serving: ServedDay[];
  stream: StreamCounts[];
  catalogSize: number;
  markdown: string;
}

const DAY = 86_400_000;
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * Replays the newest `days` days with events of a MovieLens folder through the daily loop: the
 * daily job (slice, train, materialize, shadow gate, promotion) at each day boundary, then for
 * the users active on the next day, recommendations from StreamRec's request path with the model
 * each policy would serve: retrained daily (the last good model after the day's job), weekly (the
 * model of the last 7th replay day) and never (the first day's). Recent popularity (its window
 * chosen on the days before the replay) and all-time popularity are ranked for the same requests.
 */
export async function runReplay(options: ReplayOptions): Promise<ReplayReport> {
  const log = options.log ?? ((l: string) => process.stdout.write(`${l}\n`));
  const seed = options.seed ?? 42;
  const repo = path.join(options.outDir, 'repo');
  mkdirSync(path.join(repo, 'data'), { recursive: true });
  for (const f of ['features.ts', 'feature_store.yaml']) copyFileSync(path.join(options.repoTemplate, f), path.join(repo, f));
  const full = readMovieLens(options.inputDir);
  const allDays = eventDays(full);
  // Replay day d is evaluated on the next calendar day with events.
  const days = replayWindow(full, allDays, options.days, options.minRequests ?? 0, options.maxDays ?? options.days);
  const firstMs = Date.parse(`${days[0]}T00:00:00Z`);
  checkInjectDay(options.serving?.injectBadModel?.day, options.rollout ?? 'canary', days);
  const source = sampleSource(options.inputDir, path.join(options.outDir, 'source'), full, firstMs - 14 * DAY, options.sampleUsers, seed);
  const snapAll = readMovieLens(source);
  log(
    `replay: ${days.length} days ${days[0]} .. ${days.at(-1)}; ${snapAll.histories.size} users, ${[...snapAll.histories.values()].reduce((n, h) => n + h.items.length, 0)} events`,
  );

  const registryDir = path.join(repo, 'data', 'models');
  const workDir = path.join(options.outDir, 'work');
  const dayOutcomes: ReplayReport['dayOutcomes'] = [];
  const served: Record<string, Array<{ twoTower: number; ranker: number } | undefined>> = { daily: [], weekly: [], never: [] };
  const registry = openModelRegistry(registryDir);
  const lines = ratingLines(source);
  const sessions: SessionCase[][] = days.map((day) => sessionCases(snapAll, lines, day, allDays[allDays.indexOf(day) + 1]!));
  const sessionRanked: Record<string, Ranked> = {
    batch: new Map(),
    streamed: new Map(),
    popularity_recent: new Map(),
    popularity_all_time: new Map(),
  };
  // Every source event in time order (ties in file order): the stream the app would have published.
  const timeline = [...lines.values()]
    .flat()
    .map((line, i) => ({ line, i, ms: lineMs(line), user: Number(line.slice(0, line.indexOf(','))) }))
    .sort((a, b) => a.ms - b.ms || a.i - b.i);
  const early = new Set<number>();
  let cursor = 0;
  const liveDir = path.join(options.outDir, 'live');
  mkdirSync(liveDir, { recursive: true });
  const stream = await ReplayStream.open(
    {
      repoPath: repo,
      liveDir,
      redisUrl: options.redisUrl ?? 'redis://127.0.0.1:6379',
      runId: options.runId ?? `streamrec-replay-${process.pid}-${Date.now()}`,
    },
    source,
  );
  const streamCounts: StreamCounts[] = [];
  const serving: ReplayReport['serving'] = [];
  try {
    for (const [i, day] of days.entries()) {
      const endMs = Date.parse(`${day}T00:00:00Z`) + DAY;
      // The day's events (on the first day, every event before it too), less those the session experiment already published.
      const batch: string[] = [];
      for (; cursor < timeline.length && timeline[cursor]!.ms < endMs; cursor++)
        if (!early.has(timeline[cursor]!.i)) batch.push(timeline[cursor]!.line);
      const moved = await stream.stream(batch);
      const t0 = performance.now();
      const histBefore = await registry.history('ranker');
      const production = await lastGoodPair(registry);
      const report: DailyJobReport = await runDailyJob({
        rollout: production && options.rollout !== 'now' ? 'canary' : 'now',
        day,
        inputDir: liveDir,
        repoPath: repo,
        registry: registryDir,
        workDir,
        seed,
        minHoldoutEvents: options.minHoldoutEvents ?? 100,
        ...(options.metricTolerance !== undefined ? { metricTolerance: options.metricTolerance } : {}),
        ...(options.steps ? { steps: options.steps } : {}),
        // Latency is not what the replay measures, and the machine is shared: the budget is loose.
        gateLatencyBudgetMs: 10_000,
        log: (l) => (/ (done in|failed|gate |shadow gate)/.test(l) ? log(l) : undefined),
      });
      const seconds = Math.round((performance.now() - t0) / 100) / 10;
      const next = allDays[allDays.indexOf(day) + 1]!;
      // Production after the job: the pair the canary falls back on (on the first day, the one the job just promoted).
      const serve = await lastGoodPair(registry);
      if (serve) {
        const outcome = report.outcome;
        const s = await serveNextDay({
          day,
          registry,
          registryDir,
          repoPath: repo,
          dataDir: path.join(workDir, 'days', day),
          indexDir: path.join(options.outDir, 'ann', `${serve.twoTower}`),
          production: serve,
          ...(outcome?.kind === 'canary' ? { candidate: { twoTower: outcome.versions.two_tower!, ranker: outcome.versions.ranker! } } : {}),
          nextDayUsers: activeNextDay(snapAll.histories, day, next),
          options: options.serving ?? {},
          log,
        });
        serving.push(s);
      }
      const delta = (await registry.history('ranker')).slice(histBefore.length);
      dayOutcomes.push({
        day,
        outcome: report.outcome?.kind ?? report.status,
        seconds,
        promotions: delta.filter((h) => h.event === 'promoted').length,
        refusals: delta.filter((h) => h.event === 'refused').length,
        rollbacks: delta.filter((h) => h.event === 'rolled_back').length,
      });
      const good = await lastGoodPair(registry);
      served.daily!.push(good);
      served.weekly!.push(i % 7 === 0 ? good : served.weekly![i - 1]);
      served.never!.push(i === 0 ? good : served.never![0]);
      const slice = sliceCounts(path.join(workDir, 'days', day, 'ratings.csv'), endMs - DAY);
      const counts: StreamCounts = {
        day,
        ...moved,
        sessionPublished: 0,
        sliceEvents: slice.events,
        sliceEventsOnDay: slice.onDay,
        sourceEvents: timeline.filter((e) => e.ms < endMs).length,
      };
      streamCounts.push(counts);
      // Streaming session features: the next day's first half of each session through the stream worker, asked before and after.
      if (good && sessions[i]!.length > 0) {
        const prefix = sessionPrefixes(timeline, sessions[i]!, Date.parse(`${next}T00:00:00Z`));
        const sessionOf = new Map(sessions[i]!.map((s) => [s.user, s]));
        const ask = async (into: Ranked): Promise<void> => {
          const models = await loadProductionModels({ registry: registryDir, versions: good });
          const online = await repoOnlineUserFeatures(repo);
          const rec = await buildStreamRec({
            dataDir: path.join(workDir, 'days', day),
            models,
            repoPath: repo,
            features: online.source,
            indexDir: path.join(options.outDir, 'ann', `${good.twoTower}`),
            budgets: { features: 5000, retrieval: 5000, ranking: 5000, total: 20_000 },
          });
          try {
            for (const s of sessionOf.values()) {
              const res = await rec.recommender.recommend({ userId: s.user, count: 40 });
              into.set(
                `${day}:${s.user}`,
                res.items
                  .map((x) => Number(x.itemId))
                  .filter((m) => !s.sessionItems.has(m))
                  .slice(0, 20),
              );
            }
          } finally {
            await rec.close();
            await online.close();
          }
        };
        await ask(sessionRanked.batch!);
        const moved2 = await stream.stream(prefix.map((e) => e.line));
        for (const e of prefix) early.add(e.i);
        counts.published += moved2.published;
        counts.workerApplied += moved2.workerApplied;
        counts.appended += moved2.appended;
        counts.sessionPublished = moved2.published;
        await ask(sessionRanked.streamed!);
      }
      log(
        `replay: ${day}: ${counts.published} events published, ${counts.workerApplied} applied by the stream worker, ${counts.appended} appended to the event log; slice ${counts.sliceEvents} (source ${counts.sourceEvents})`,
      );
    }
  } finally {
    await stream.close();
  }

  // The requests: users active on the next day with a history up to the day, truth = their new items.
  const cases: Case[][] = days.map((day) => nextDayCases(snapAll, day, allDays[allDays.indexOf(day) + 1]!));
  const ranked: Record<string, Ranked> = {};
  const key = (c: Case) => `${c.day}:${c.user}`;
  for (const policy of ['daily', 'weekly', 'never'] as const) {
    ranked[policy] = new Map();
    for (const [i, day] of days.entries()) {
      const v = served[policy]![i];
      if (!v || cases[i]!.length === 0) continue;
      const models = await loadProductionModels({ registry: registryDir, versions: v });
      const rec = await buildStreamRec({
        dataDir: path.join(workDir, 'days', day),
        models,
        repoPath: repo,
        indexDir: path.join(options.outDir, 'ann', `${v.twoTower}`),
        budgets: { features: 5000, retrieval: 5000, ranking: 5000, total: 20_000 },
      });
      try {
        for (const c of cases[i]!) {
          const res = await rec.recommender.recommend({ userId: c.user, count: 20 });
          ranked[policy]!.set(
            key(c),
            res.items.map((x) => Number(x.itemId)),
          );
        }
      } finally {
        await rec.close();
      }
    }
    log(`replay: ${policy} ranked ${ranked[policy]!.size} requests`);
  }
  // Popularity baselines from the same data each day (seen items excluded, as the recommender does).
  const windows = options.popularityWindows ?? [7, 30, 90, 365];
  const validation = allDays.slice(Math.max(0, allDays.indexOf(days[0]!) - 10), allDays.indexOf(days[0]!));
  const window = chooseWindow(snapAll, allDays, validation, windows);
  ranked.popularity_recent = new Map();
  ranked.popularity_all_time = new Map();
  for (const [i, day] of days.entries()) {
    const endMs = Date.parse(`${day}T00:00:00Z`) + DAY;
    for (const c of cases[i]!) {
      const seen = new Set(historyBefore(snapAll, c.user, endMs));
      ranked.popularity_recent.set(key(c), popular(snapAll, endMs - window * DAY, endMs, seen));
      ranked.popularity_all_time.set(key(c), popular(snapAll, 0, endMs, seen));
    }
  }

  for (const [i, day] of days.entries()) {
    const endMs = Date.parse(`${day}T00:00:00Z`) + DAY;
    for (const s of sessions[i]!) {
      const seen = new Set([...historyBefore(snapAll, s.user, endMs), ...s.sessionItems]);
      sessionRanked.popularity_recent!.set(`${day}:${s.user}`, popular(snapAll, endMs - window * DAY, endMs, seen));
      sessionRanked.popularity_all_time!.set(`${day}:${s.user}`, popular(snapAll, 0, endMs, seen));
    }
  }
  const sessionAll = days.flatMap((day, i) => sessions[i]!.map((s) => ({ key: `${day}:${s.user}`, truth: s.truth })));
  const sessionResults = new Map(
    Object.entries(sessionRanked).map(([s, r]) => [
      s,
      scored(
        s,
        sessionAll.map((c) => ({ ranked: r.get(c.key) ?? [], truth: c.truth })),
      ),
    ]),
  );
  const sessionDiff = sessionAll.length
    ? pairedBootstrap(sessionResults.get('streamed')!, sessionResults.get('batch')!, { seed })
    : { diff: 0, diffLo: 0, diffHi: 0 };

  // Cold start: users outside the replay's source, after their first k ratings, on the last day's data and daily model.
  const coldStart: ReplayReport['coldStart'] = [];
  const coldStartDiffs: ReplayReport['coldStartDiffs'] = [];
  const lastDay = days.at(-1)!;
  const lastGood = served.daily!.at(-1);
  const coldCases = coldStartCases(
    ratingLines(options.inputDir),
    new Set(snapAll.histories.keys()),
    options.coldStartUsers ?? 60,
    seed,
    [1, 3, 5],
  );
  if (lastGood) {
    const models = await loadProductionModels({ registry: registryDir, versions: lastGood });
    const endMs = Date.parse(`${lastDay}T00:00:00Z`) + DAY;
    for (const k of [1, 3, 5]) {
      const ks = coldCases.filter((c) => c.k === k && c.truth.size > 0);
      const dir = withExtraRatings(
        path.join(workDir, 'days', lastDay),
        path.join(options.outDir, 'cold', `k${k}`),
        ks.flatMap((c) => c.lines),
      );
      const rec = await buildStreamRec({
        dataDir: dir,
        models,
        repoPath: repo,
        indexDir: path.join(options.outDir, 'ann', `${lastGood.twoTower}`),
        budgets: { features: 5000, retrieval: 5000, ranking: 5000, total: 20_000 },
      });
      const lists: Record<string, Array<{ ranked: number[]; truth: Set<number> }>> = {
        daily: [],
        popularity_recent: [],
        popularity_all_time: [],
      };
      try {
        for (const c of ks) {
          const res = await rec.recommender.recommend({ userId: c.user, count: 20 });
          lists.daily!.push({ ranked: res.items.map((x) => Number(x.itemId)), truth: c.truth });
          lists.popularity_recent!.push({ ranked: popular(snapAll, endMs - window * DAY, endMs, c.seen), truth: c.truth });
          lists.popularity_all_time!.push({ ranked: popular(snapAll, 0, endMs, c.seen), truth: c.truth });
        }
      } finally {
        await rec.close();
      }
      const byK = new Map<string, EvalResult>();
      for (const [system, l] of Object.entries(lists)) {
        const r = scored(system, l);
        byK.set(system, r);
        coldStart.push({ k, users: ks.length, system, ndcg20: r.ndcg20, recall20: r.recall20 });
      }
      if (ks.length > 0)
        for (const b of ['popularity_recent', 'popularity_all_time']) {
          const p = pairedBootstrap(byK.get('daily')!, byK.get(b)!, { seed });
          coldStartDiffs.push({ k, b, diff: p.diff, lo: p.diffLo, hi: p.diffHi });
        }
    }
    log(`replay: cold start ranked ${coldCases.length} requests`);
  }

  const all = cases.flat();
  const systems = ['daily', 'weekly', 'never', 'popularity_recent', 'popularity_all_time'];
  const results = new Map<string, EvalResult>();
  for (const s of systems) {
    const per = new Float64Array(all.length);
    let recall = 0;
    all.forEach((c, j) => {
      const r = ranked[s]!.get(key(c)) ?? [];
      per[j] = ndcgAtK(r, c.truth, 20);
      recall += recallAtK(r, c.truth, 20);
    });
    const res: EvalResult = {
      model: s,
      protocol: 'global_time',
      users: all.length,
      ndcg20: mean(per),
      recall20: recall / Math.max(1, all.length),
    };
    Object.defineProperty(res, 'perUserNdcg20', { value: per, enumerable: false });
    results.set(s, res);
  }
  const comparisons = (
    [
      ['daily', 'never'],
      ['daily', 'popularity_recent'],
      ['daily', 'weekly'],
      ['daily', 'popularity_all_time'],
    ] as const
  ).map(([a, b]) => {
    const p = pairedBootstrap(results.get(a)!, results.get(b)!, { seed });
    return { a, b, diff: p.diff, lo: p.diffLo, hi: p.diffHi };
  });
  const catalogSize = snapAll.movies.length;
  const weeks = new Map<string, { requests: number; per: Record<string, Set<number>> }>();
  for (const c of all) {
    const w = isoWeek(Date.parse(`${c.next}T00:00:00Z`));
    const entry = weeks.get(w) ?? { requests: 0, per: Object.fromEntries(systems.map((s) => [s, new Set<number>()])) };
    weeks.set(w, entry);
    entry.requests++;
    for (const s of systems) for (const id of ranked[s]!.get(key(c)) ?? []) entry.per[s]!.add(id);
  }
  const coverage = [...weeks.entries()].map(([week, { requests, per }]) => ({
    week,
    requests,
    items: Object.fromEntries(systems.map((s) => [s, per[s]!.size])),
    percent: Object.fromEntries(systems.map((s) => [s, Math.round((per[s]!.size / catalogSize) * 10000) / 100])),
  }));
  const hist = await registry.history('ranker');
  const loop = {
    promotions: hist.filter((h) => h.event === 'promoted').length,
    canaryPromotions: hist.filter((h) => h.event === 'promoted' && h.reason?.startsWith('canary promoted')).length,
    refusals: hist.filter((h) => h.event === 'refused').length,
    rollbacks: hist.filter((h) => h.event === 'rolled_back').length,
    failed: dayOutcomes.filter((d) => d.outcome === 'failed').length,
    noEvents: dayOutcomes.filter((d) => d.outcome === 'no-events').length,
    canaries: serving.filter((s) => s.candidate !== undefined).length,
    unsettled: serving.filter((s) => s.canary === 'unsettled').length,
  };
  const rows = systems.map((s) => ({ system: s, ndcg20: results.get(s)!.ndcg20, recall20: results.get(s)!.recall20 }));
  const report: Omit<ReplayReport, 'markdown'> = {
    days,
    cases: all.length,
    users: new Set(all.map((c) => c.user)).size,
    events: [...snapAll.histories.values()].reduce((n, h) => n + h.items.length, 0),
    window,
    rows,
    comparisons,
    coverage,
    session: {
      cases: sessionAll.length,
      rows: [...sessionResults.entries()].map(([system, r]) => ({ system, ndcg20: r.ndcg20, recall20: r.recall20 })),
      diff: { diff: sessionDiff.diff, lo: sessionDiff.diffLo, hi: sessionDiff.diffHi },
      anchor: (({ ndcg20, recall20 }) => ({ ndcg20, recall20 }))(
        scored(
          'anchor',
          all
            .filter((c) => sessionAll.some((x) => x.key === key(c)))
            .map((c) => ({ ranked: ranked.daily!.get(key(c)) ?? [], truth: c.truth })),
        ),
      ),
    },
    coldStart,
    coldStartDiffs,
    loop,
    dayOutcomes,
    serving,
    stream: streamCounts,
    catalogSize,
  };
  return { ...report, markdown: replayMarkdown(report, systems) };
}

const lineMs = (line: string): number => Number(line.slice(line.lastIndexOf(',') + 1)) * 1000;

/** Rows of a slice's ratings.csv, and those from `dayStartMs` on (the slice ends at the end of the day). */
function sliceCounts(file: string, dayStartMs: number): { events: number; onDay: number } {
  if (!existsSync(file)) return { events: 0, onDay: 0 };
  const rows = readFileSync(file, 'utf8').split('\n').slice(1).filter(Boolean);
  return { events: rows.length, onDay: rows.filter((l) => lineMs(l) >= dayStartMs).length };
}

/**
 * The events a session case's user made on the next day up to and including the last of its
 * session lines, in stream order: re-ratings in between too, so the worker sees the user's events
 * in the order they happened.
 */
function sessionPrefixes(
  timeline: ReadonlyArray<{ line: string; i: number; ms: number; user: number }>,
  sessions: readonly SessionCase[],
  nextStartMs: number,
): Array<{ line: string; i: number; ms: number }> {
  const out: Array<{ line: string; i: number; ms: number }> = [];
  for (const s of sessions) {
    const lastLine = s.sessionLines.at(-1)!;
    const mine = timeline.filter((e) => e.user === s.user && e.ms >= nextStartMs && e.ms < nextStartMs + DAY);
    const end = mine.findIndex((e) => e.line === lastLine);
    out.push(...mine.slice(0, end + 1));
  }
  return out.sort((a, b) => a.ms - b.ms || a.i - b.i);
}

/** The newest `least` event days before the last, widened a day at a time (up to `most`) until their next-day requests reach `minRequests`. */
function replayWindow(snap: MovieLensSnapshot, allDays: string[], least: number, minRequests: number, most: number): string[] {
  const requests = (day: string) => nextDayCases(snap, day, allDays[allDays.indexOf(day) + 1]!).length;
  let n = Math.min(least, allDays.length - 1);
  let total = allDays.slice(-n - 1, -1).reduce((s, d) => s + requests(d), 0);
  while (total < minRequests && n < Math.min(most, allDays.length - 1)) {
    n++;
    total += requests(allDays.at(-n - 1)!);
  }
  return allDays.slice(-n - 1, -1);
}

/** The calendar days (UTC) with at least one event, oldest first. */
function eventDays(snap: MovieLensSnapshot): string[] {
  const days = new Set<string>();
  for (const h of snap.histories.values()) for (const t of h.timesMs) days.add(isoDay(t));
  return [...days].sort();
}

/** Users active since `sinceMs` and `sample` others (seeded), written as a MovieLens folder. */
function sampleSource(inputDir: string, outDir: string, snap: MovieLensSnapshot, sinceMs: number, sample: number, seed: number): string {
  const active = [...snap.histories.entries()].filter(([, h]) => (h.timesMs.at(-1) ?? 0) >= sinceMs).map(([u]) => u);
  const others = Int32Array.from([...snap.histories.keys()].filter((u) => !active.includes(u)).sort((a, b) => a - b));
  new Rng(seed).shuffle(others);
  const keep = new Set([...active, ...others.slice(0, sample)].map(String));
  mkdirSync(outDir, { recursive: true });
  for (const f of ['ratings.csv', 'tags.csv']) {
    if (!existsSync(path.join(inputDir, f))) continue;
    const lines = readFileSync(path.join(inputDir, f), 'utf8').split('\n');
    const body = lines.slice(1).filter((l) => keep.has(l.split(',')[0]!));
    writeFileSync(path.join(outDir, f), `${lines[0]!.trimEnd()}\n${body.map((l) => l.trimEnd()).join('\n')}\n`);
  }
  for (const f of ['movies.csv', 'links.csv'])
    if (existsSync(path.join(inputDir, f))) copyFileSync(path.join(inputDir, f), path.join(outDir, f));
  return outDir;
}

function historyBefore(snap: MovieLensSnapshot, user: number, endMs: number): number[] {
  const h = snap.histories.get(user);
  if (!h) return [];
  return h.items.filter((_, i) => h.timesMs[i]! < endMs);
}

function nextDayCases(snap: MovieLensSnapshot, day: string, next: string): Case[] {
  const endMs = Date.parse(`${day}T00:00:00Z`) + DAY;
  const nextStart = Date.parse(`${next}T00:00:00Z`);
  const out: Case[] = [];
  for (const [user, h] of snap.histories) {
    const before = new Set(h.items.filter((_, i) => h.timesMs[i]! < endMs));
    if (before.size === 0) continue;
    const truth = new Set(h.items.filter((m, i) => h.timesMs[i]! >= nextStart && h.timesMs[i]! < nextStart + DAY && !before.has(m)));
    if (truth.size > 0) out.push({ day, next, user, truth });
  }
  return out;
}

/** The 20 most rated items in [fromMs, toMs), `seen` excluded; ties by lower id. */
function popular(snap: MovieLensSnapshot, fromMs: number, toMs: number, seen: Set<number>): number[] {
  const counts = new Map<number, number>();
  for (const h of snap.histories.values())
    h.items.forEach((m, i) => {
      const t = h.timesMs[i]!;
      if (t >= fromMs && t < toMs) counts.set(m, (counts.get(m) ?? 0) + 1);
    });
  return [...counts.entries()]
    .filter(([m]) => !seen.has(m))
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .slice(0, 20)
    .map(([m]) => m);
}

/** The recent-popularity window with the best next-day NDCG@20 on the validation days (ties: the shorter). */
function chooseWindow(snap: MovieLensSnapshot, allDays: string[], validation: string[], windows: readonly number[]): number {
  let best = windows[0]!,
    bestScore = -1;
  for (const w of windows) {
    let sum = 0,
      n = 0;
    for (const day of validation) {
      const endMs = Date.parse(`${day}T00:00:00Z`) + DAY;
      for (const c of nextDayCases(snap, day, allDays[allDays.indexOf(day) + 1]!)) {
        sum += ndcgAtK(popular(snap, endMs - w * DAY, endMs, new Set(historyBefore(snap, c.user, endMs))), c.truth, 20);
        n++;
      }
    }
    const score = n ? sum / n : 0;
    if (score > bestScore) [best, bestScore] = [w, score];
  }
  return best;
}

async function lastGoodPair(registry: ModelRegistry): Promise<{ twoTower: number; ranker: number } | undefined> {
  const [tt, rk] = await Promise.all([registry.lastGood('two_tower'), registry.lastGood('ranker')]);
  return tt && rk ? { twoTower: tt.manifest.version, ranker: rk.manifest.version } : undefined;
}

/** NDCG@20 and Recall@20 of ranked lists against their truths, with the per-request NDCG the paired bootstrap reads. */
function scored(model: string, lists: ReadonlyArray<{ ranked: number[]; truth: Set<number> }>): EvalResult {
  const per = Float64Array.from(lists, (l) => ndcgAtK(l.ranked, l.truth, 20));
  const recall = lists.reduce((s, l) => s + recallAtK(l.ranked, l.truth, 20), 0);
  const res: EvalResult = {
    model,
    protocol: 'global_time',
    users: lists.length,
    ndcg20: mean(per),
    recall20: recall / Math.max(1, lists.length),
  };
  Object.defineProperty(res, 'perUserNdcg20', { value: per, enumerable: false });
  return res;
}

const mean = (v: Float64Array) => (v.length ? v.reduce((s, x) => s + x, 0) / v.length : 0);

export function isoWeek(ms: number): string {
  // The ISO week holds its Thursday; week 1 is the one holding January 4.
  const thursday = ms - ((new Date(ms).getUTCDay() + 6) % 7) * DAY + 3 * DAY;
  const year = new Date(thursday).getUTCFullYear();
  const jan4 = Date.UTC(year, 0, 4);
  const week1Thursday = jan4 - ((new Date(jan4).getUTCDay() + 6) % 7) * DAY + 3 * DAY;
  return `${year}-W${String(1 + Math.round((thursday - week1Thursday) / (7 * DAY))).padStart(2, '0')}`;
}

function replayMarkdown(r: Omit<ReplayReport, 'markdown'>, systems: string[]): string {
  const f = (x: number) => x.toFixed(4);
  const lines = [
    `Replayed ${r.days.length} days (${r.days[0]} .. ${r.days.at(-1)}), ${r.cases} next-day requests from ${r.users} users; data: ${r.events} events. Recent popularity window: ${r.window} days (chosen on the 10 days before the replay).`,
    '',
    '| system | next-day NDCG@20 | next-day Recall@20 |',
    '|---|---:|---:|',
    ...r.rows.map((x) => `| ${x.system} | ${f(x.ndcg20)} | ${f(x.recall20)} |`),
    '',
    'Paired bootstrap over requests (2000 resamples, 95% interval of the NDCG@20 difference):',
    '',
    '| comparison | NDCG@20 difference | 95% interval |',
    '|---|---:|---|',
    ...r.comparisons.map((c) => `| ${c.a} vs ${c.b} | ${c.diff >= 0 ? '+' : ''}${f(c.diff)} | ${f(c.lo)} .. ${f(c.hi)} |`),
    '',
    `Streaming session features: ${r.session.cases} next-day requests, each asked twice of the daily model with user features read from the repo's online store: before (batch features as of the end of the day) and after the first half of the user's events that day went through the broker and the stream worker into user_recent; both lists without the session's items; truth = the second half's new items. The last row scores the same users' whole-next-day lists of the main table against their whole next day: whether these users are reachable at all.`,
    '',
    '| system | NDCG@20 | Recall@20 |',
    '|---|---:|---:|',
    ...r.session.rows.map(
      (x) =>
        `| ${x.system === 'batch' ? 'daily, batch features' : x.system === 'streamed' ? 'daily, streamed session' : x.system} | ${f(x.ndcg20)} | ${f(x.recall20)} |`,
    ),
    `| daily, same users, whole next day | ${f(r.session.anchor.ndcg20)} | ${f(r.session.anchor.recall20)} |`,
    '',
    `Streamed vs batch (paired bootstrap): ${r.session.diff.diff >= 0 ? '+' : ''}${f(r.session.diff.diff)} (95% interval ${f(r.session.diff.lo)} .. ${f(r.session.diff.hi)}).`,
    '',
    'Cold start: users no replayed model saw (left out of the source), after their first k ratings, on the last day; truth = their next 10 items.',
    '',
    '| k | users | system | NDCG@20 | Recall@20 |',
    '|---:|---:|---|---:|---:|',
    ...r.coldStart.map((c) => `| ${c.k} | ${c.users} | ${c.system} | ${f(c.ndcg20)} | ${f(c.recall20)} |`),
    '',
    'Cold start, daily against each baseline (paired bootstrap over the same users, 95% interval of the NDCG@20 difference):',
    '',
    '| k | comparison | NDCG@20 difference | 95% interval |',
    '|---:|---|---:|---|',
    ...r.coldStartDiffs.map((c) => `| ${c.k} | daily vs ${c.b} | ${c.diff >= 0 ? '+' : ''}${f(c.diff)} | ${f(c.lo)} .. ${f(c.hi)} |`),
    '',
    `The loop (the ranker's registry history): ${r.loop.promotions} promotions (${r.loop.canaryPromotions} of them by the serving process's canary), ${r.loop.refusals} gate refusals, ${r.loop.rollbacks} rollbacks, ${r.loop.failed} failed days, ${r.loop.noEvents} days without events; ${r.loop.canaries} canaries started, ${r.loop.unsettled} unsettled when the day's traffic ended.`,
    '',
    `Catalogue coverage per ISO week of the next days: distinct items listed (share of the ${r.catalogSize}-item catalogue); at most requests x 20.`,
    '',
    '| week | requests | ' + systems.map((s) => `${s} items (%)`).join(' | ') + ' |',
    '|---|---:|' + systems.map(() => '---:').join('|') + '|',
    ...r.coverage.map((c) => `| ${c.week} | ${c.requests} | ${systems.map((s) => `${c.items[s]} (${c.percent[s]})`).join(' | ')} |`),
    '',
    'Per day: the events through the broker (published; applied by the stream worker; appended by the event-log consumer the daily job reads), the slice the job wrote from that log against the source up to the end of the day, and the loop counters from the registry.',
    '',
    '| day | published | worker applied | event log | of them next-day session | slice events (on day) | source events | outcome | promotions | refusals | rollbacks | job wall (s) |',
    '|---|---:|---:|---:|---:|---|---:|---|---:|---:|---:|---:|',
    ...r.dayOutcomes.map((d, i) => {
      const s = r.stream[i]!;
      return `| ${d.day} | ${s.published} | ${s.workerApplied} | ${s.appended} | ${s.sessionPublished} | ${s.sliceEvents} (${s.sliceEventsOnDay}) | ${s.sourceEvents} | ${d.outcome} | ${d.promotions} | ${d.refusals} | ${d.rollbacks} | ${d.seconds} |`;
    }),
    ...servingTable(r.serving),
  ];
  return `${lines.join('\n')}\n`;
}
