import { FrecError } from '@frec/core';
import type { ModelRegistry } from '@frec/model-registry';
import { DEFAULT_STAGE_BUDGETS, type StageBudgets } from '@frec/model-serving/resilience';
import type { CanaryController } from '@frec/model-serving/canary';
import type { Ranker } from '@frec/model-serving/ranking';
import type { RecommendResponse } from '../recommender/types.js';
import { featureServiceExists } from '../rollout/feature-service-exists.js';
import { registrySync, type RankerLoader } from '../rollout/index.js';
import { loadProductionModels, loadRanker } from '../serve/load-models.js';
import { startRecommender } from '../serve/start-recommender.js';

/** How the replay's serving process runs the canary each day. */
export interface ReplayServingOptions {
  /**
   * Multiplies the recommender's default stage budgets (DEFAULT_STAGE_BUDGETS) and so the canary's
   * p95 budget (the total budget). Default 1: production's budgets. A loaded machine raises it
   * (`--latency-scale`), so a healthy candidate is not rolled back for the machine's load.
   */
  latencyScale?: number;
  /** Candidate requests within budget at a canary step before the next one (default 10). */
  requestsPerStep?: number;
  /** Candidate requests at a step before its error rate or p95 can roll it back (default 5). */
  minRequestsToJudge?: number;
  /** Canary shares (default the controller's 5% -> 25% -> 100%). */
  steps?: readonly number[];
  /** Rounds of background traffic (every user of the day's data asks once) at most, while the canary runs (default 20). */
  maxRounds?: number;
  /** Requests in flight at once (default 4). */
  concurrency?: number;
  /**
   * A test hook: the candidate of this day passes the offline gate as trained, and fails in the
   * serving process ('throw': every score call throws; 'slow': every score call waits 1.5 times
   * the total budget, past the ranking budget, so each candidate request's ranking times out and
   * production ranks it). The canary must roll it back.
   */
  injectBadModel?: { day: string; mode: 'throw' | 'slow' };
}

/** One day's serving: the next day's requests through the HTTP server with the day's candidate on its canary. */
export interface ServedDay {
  day: string;
  /** 'none': no candidate waited (refused, failed or the first day); 'unsettled': the traffic ended before the canary did. */
  canary: 'promoted' | 'rolled_back' | 'unsettled' | 'failed' | 'none';
  candidate?: number;
  reason?: string;
  /** Shares the canary served at, in order. */
  shares: number[];
  /** Requests of the next day's users (one per user active on it, with a history up to the day). */
  nextDayRequests: number;
  /** Requests of the background rounds. */
  backgroundRequests: number;
  /** Of all requests, those routed to the candidate's arm. */
  candidateArm: number;
  /** Answers that were not HTTP 200 with `count` items. */
  notOk: number;
  /** Answers below FULL. */
  degraded: number;
  /** The ranker production served with (its label). */
  production: string;
  /** Wall time of the day's serving: start, traffic, canary records, close. */
  seconds: number;
  /** The next day's answers, in request order: what each user got, from which arm and ranker, at which level. */
  answers: ServedAnswer[];
  /** Every answer of the candidate's arm (next-day and background), the first 50. */
  candidateAnswers: ServedAnswer[];
}

/** One next-day answer as served over HTTP. */
export interface ServedAnswer {
  user: number;
  status: number;
  items: number;
  arm?: 'production' | 'candidate';
  ranker?: string;
  level?: string;
  degraded?: Record<string, string>;
}

/** The recommender's default stage budgets times `scale`. */
export function scaledBudgets(scale = 1): StageBudgets {
  const b = DEFAULT_STAGE_BUDGETS;
  return { features: b.features * scale, retrieval: b.retrieval * scale, ranking: b.ranking * scale, total: b.total * scale };
}

/**
 * Starts StreamRec's recommender HTTP server on the day's data with production's pair, lets
 * registrySync start the canary of the candidate the day's job noted, and sends the next day's
 * requests, then background rounds (every user of the day's data once) until the canary promotes
 * or rolls back, or `maxRounds` is reached. The canary's promotion or rollback is recorded in the
 * registry by the serving process (startStreamRecCanary); the candidate's two-tower follows its
 * ranker here, since the recommender's canary swaps the ranker only.
 */
export async function serveNextDay(args: {
  day: string;
  registry: ModelRegistry;
  registryDir: string;
  repoPath: string;
  dataDir: string;
  indexDir: string;
  production: { twoTower: number; ranker: number };
  /** The versions the day's job noted for the canary. */
  candidate?: { twoTower: number; ranker: number };
  nextDayUsers: readonly number[];
  options: ReplayServingOptions;
  log: (line: string) => void;
}): Promise<ServedDay> {
  const o = args.options;
  const t0 = performance.now();
  const budgets = scaledBudgets(o.latencyScale);
  const models = await loadProductionModels({ registry: args.registryDir, versions: args.production });
  const server = await startRecommender({ dataDir: args.dataDir, models, repoPath: args.repoPath, indexDir: args.indexDir, budgets });
  const say = (l: string) => args.log(`[serve ${args.day}] ${l}`);
  const exists = featureServiceExists(args.repoPath);
  const out: ServedDay = {
    day: args.day,
    canary: 'none',
    shares: [],
    nextDayRequests: 0,
    backgroundRequests: 0,
    candidateArm: 0,
    notOk: 0,
    degraded: 0,
    production: server.recommender.productionRanker.version,
    seconds: 0,
    answers: [],
    candidateAnswers: [],
  };
  try {
    const inject = o.injectBadModel?.day === args.day ? o.injectBadModel : undefined;
    const load: RankerLoader = async (reg, m) => {
      const r = await loadRanker(reg, m);
      return r && inject && m.version === args.candidate?.ranker ? failingAtServing(r, inject.mode, budgets.total * 1.5) : r;
    };
    const sync = await registrySync({
      registry: args.registry,
      recommender: server.recommender,
      metrics: server.metrics,
      load,
      featureServiceExists: exists,
      current: args.production.ranker,
      canary: {
        budgets: { errorRate: 0.01, p95Ms: budgets.total },
        requestsPerStep: o.requestsPerStep ?? 10,
        minRequestsToJudge: o.minRequestsToJudge ?? 5,
        ...(o.steps ? { steps: o.steps } : {}),
      },
      log: say,
    }).sync();
    const controller: CanaryController | undefined = server.recommender.canary?.controller;
    if (sync.canary.kind === 'failed') Object.assign(out, { canary: 'failed', candidate: sync.canary.version, reason: sync.canary.reason });
    if (sync.canary.kind === 'started') out.candidate = sync.canary.version;
    if (sync.canary.kind === 'failed') await followPair(args.registry, out, args.candidate, exists);
    const running = () => controller?.snapshot().status === 'running';
    const ask = async (users: readonly number[], into?: ServedAnswer[]): Promise<number> => {
      let sent = 0;
      for (let i = 0; i < users.length; i += o.concurrency ?? 4) {
        // Background traffic stops as soon as the canary is decided; the next day's requests are all sent.
        if (!into && !running()) break;
        const batch = users.slice(i, i + (o.concurrency ?? 4));
        if (controller && running() && out.shares.at(-1) !== controller.share) out.shares.push(controller.share);
        const answers = await Promise.all(batch.map((u) => askHttp(server.url, u)));
        sent += batch.length;
        answers.forEach((a, j) => {
          const b = a.body;
          if (a.status !== 200 || b?.items.length !== 20) out.notOk++;
          if (b?.arm === 'candidate') out.candidateArm++;
          if (b && b.degradationLevel !== 'FULL') out.degraded++;
          const answer: ServedAnswer = {
            user: batch[j]!,
            status: a.status,
            items: b?.items.length ?? 0,
            ...(b?.arm ? { arm: b.arm } : {}),
            ...(b ? { ranker: b.modelVersions.ranker, level: b.degradationLevel, degraded: b.degraded } : {}),
          };
          into?.push(answer);
          if (b?.arm === 'candidate' && out.candidateAnswers.length < 50) out.candidateAnswers.push(answer);
        });
      }
      return sent;
    };
    out.nextDayRequests = await ask(args.nextDayUsers, out.answers);
    const everyone = [...server.snapshot.histories.keys()].sort((a, b) => a - b);
    for (let round = 0; round < (o.maxRounds ?? 20) && running(); round++) out.backgroundRequests += await ask(everyone);
    if (controller) {
      await controller.settled();
      const s = controller.snapshot();
      out.canary = s.status === 'running' ? 'unsettled' : s.status;
      if (s.reason) out.reason = s.reason;
      server.recommender.stopCanary();
      await followPair(args.registry, out, args.candidate, exists);
    }
    say(
      `canary ${out.candidate ? `ranker v${out.candidate}` : '-'}: ${out.canary}${out.reason ? ` (${out.reason})` : ''}; ` +
        `${out.nextDayRequests} next-day + ${out.backgroundRequests} background requests over HTTP, ${out.candidateArm} on the candidate arm, ` +
        `${out.notOk} not OK, ${out.degraded} below FULL`,
    );
    return out;
  } finally {
    await server.close();
    out.seconds = Math.round((performance.now() - t0) / 100) / 10;
  }
}

/** The candidate's two-tower follows its ranker's canary: promoted with it, or rolled back with its reason. */
async function followPair(
  registry: ModelRegistry,
  served: ServedDay,
  candidate: { twoTower: number; ranker: number } | undefined,
  exists: (s: string) => Promise<boolean>,
): Promise<void> {
  if (!candidate || candidate.ranker !== served.candidate) return;
  if (served.canary === 'failed')
    await registry.refuse('two_tower', candidate.twoTower, `its ranker v${candidate.ranker} could not start its canary: ${served.reason}`);
  else if (served.canary === 'promoted')
    await registry.promote('two_tower', candidate.twoTower, {
      featureServiceExists: exists,
      reason: `promoted with its ranker v${candidate.ranker} (canary promoted)`,
    });
  else if (served.canary === 'rolled_back')
    await registry.rollback(
      'two_tower',
      candidate.twoTower,
      `its ranker v${candidate.ranker} was rolled back by the canary: ${served.reason}`,
    );
}

async function askHttp(url: string, userId: number): Promise<{ status: number; body?: RecommendResponse }> {
  const res = await fetch(`${url}/recommendations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId, count: 20 }),
  });
  const body = (await res.json()) as RecommendResponse;
  return res.status === 200 ? { status: 200, body } : { status: res.status };
}

/** Users with an event on `next` and a history up to the end of `day`: the next day's requests, in id order. */
export function activeNextDay(histories: ReadonlyMap<number, { timesMs: number[] }>, day: string, next: string): number[] {
  const endMs = Date.parse(`${day}T00:00:00Z`) + 86_400_000;
  const nextStart = Date.parse(`${next}T00:00:00Z`);
  return [...histories.entries()]
    .filter(([, h]) => h.timesMs.some((t) => t < endMs) && h.timesMs.some((t) => t >= nextStart && t < nextStart + 86_400_000))
    .map(([u]) => u)
    .sort((a, b) => a - b);
}

/** The injected serving fault: a ranker that throws, or answers only after `ms`, on every call. */
export function failingAtServing(real: Ranker, mode: 'throw' | 'slow', ms: number): Ranker {
  return {
    kind: `${real.kind}+injected-${mode}`,
    version: real.version,
    score: async (batch, signal) => {
      if (mode === 'throw') throw new Error(`injected serving fault: ${real.version} throws at serving time`);
      await new Promise((r) => setTimeout(r, ms));
      return real.score(batch, signal);
    },
    close: () => real.close(),
  };
}

/** An injected bad model needs a day with a canary: one of the replayed days after the first, under `rollout: 'canary'`. */
export function checkInjectDay(injectDay: string | undefined, rollout: 'canary' | 'now', days: readonly string[]): void {
  if (injectDay !== undefined && rollout === 'now')
    throw new FrecError('INVALID_REQUEST', `--inject-bad-model-day ${injectDay} needs the canary: --rollout now promotes in the job.`, {
      hint: 'Leave out --rollout now (the default is canary).',
      where: { option: '--inject-bad-model-day' },
    });
  if (injectDay !== undefined && !days.slice(1).includes(injectDay))
    throw new FrecError(
      'INVALID_REQUEST',
      `--inject-bad-model-day ${injectDay} is not a canary day of the replay (${days.slice(1).join(', ')}).`,
      {
        hint: 'Pass one of the replayed days after the first (the first is promoted at once: no production to canary against).',
        where: { option: '--inject-bad-model-day' },
      },
    );
}

/** The per-day serving table of the replay's report (markdown lines; none before a production pair exists). */
export function servingTable(serving: readonly ServedDay[]): string[] {
  if (serving.length === 0) return [];
  return [
    '',
    "Serving, per day: StreamRec's recommender HTTP server on the day's data with production's pair; registrySync starts the canary of the ranker the day's job noted; the next day's users (active on it, with a history) ask once each over HTTP, then background rounds (every user of the day's data once) until the canary promotes or rolls back. Shares: the canary's steps seen; answers not OK: not HTTP 200 with 20 items.",
    '',
    '| day | production | candidate | canary | shares | next-day requests | background requests | on candidate arm | not OK | below FULL | serving wall (s) | reason |',
    '|---|---|---|---|---|---:|---:|---:|---:|---:|---:|---|',
    ...serving.map(
      (s) =>
        `| ${s.day} | ${s.production} | ${s.candidate !== undefined ? `ranker@${s.candidate}` : '-'} | ${s.canary} | ${s.shares.map((x) => `${x * 100}%`).join(' -> ') || '-'} | ${s.nextDayRequests} | ${s.backgroundRequests} | ${s.candidateArm} | ${s.notOk} | ${s.degraded} | ${s.seconds} | ${s.reason ?? ''} |`,
    ),
  ];
}
