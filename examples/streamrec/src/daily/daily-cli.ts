import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCode, FrecError } from '@frec/core';
import { FEATURE_REPO, VENDORED_DATA } from '../data/load-cli.js';
import { DAILY_RETUNE_EVERY_DAYS } from './daily-config.js';
import { DAILY_STEPS, dayRange, type DailyStep } from './day-state.js';
import { EXIT, runDailyJob, type DailyJobOptions } from './daily-job.js';

const USAGE = `Usage: npm run -w examples/streamrec daily -- --day YYYY-MM-DD [options]

One day of StreamRec's production loop, for cron or a Kubernetes CronJob: slice the events up to
the end of the day (checked, sha256), train both models on them in a child process (held-out
newest events evaluated), register them as candidates, materialize the online store up to the
end of the day, then run the shadow gate on the day's users against the last good production
model and promote or refuse. Steps: ${DAILY_STEPS.join(', ')}.

Idempotent: a finished day is reported, not redone. Resumable: each finished step is recorded in
<work-dir>/state/<day>.json, and a rerun after a crash starts at the step that did not finish.
A day before the last finished one (the clock went back) is refused.

Options:
  --day YYYY-MM-DD   the day (UTC) whose events are new (required)
  --input DIR        MovieLens folder the events come from (default: the vendored latest-small)
  --repo DIR         feature repo (default: examples/streamrec/feature_repo)
  --registry DIR     model registry (default: <repo>/data/models)
  --work-dir DIR     state files, slices, logs (default: <repo>/data/daily)
  --rollout now|canary  promote a passed candidate now (default), or note it for the serving canary
  --until STEP       stop after STEP (${DAILY_STEPS.join('|')}); the next run resumes
  --gate-latency-ms N  p95 ranking time the gate allows the candidate (default: the ranking budget)
  --seed N           seed of every generator (default 42)
  --retune           search the tuned values (query weights, prior, co-occurrence, blend) today
  --retune-every-days N  reuse production's tuned values until they are N days old (default ${DAILY_RETUNE_EVERY_DAYS});
                     a day without production values or with a changed feature schema searches
  --warm-start       start both models from production's last good pair (fewer epochs)
  --cold-start       train from a seeded initialisation (the default: DAILY_WARM_START)
  --json             print the report as JSON on stdout (progress goes to stderr)
  --help             this text

Exit codes: 0 done (promoted, canary noted, no events that day, or already done), 1 a step
failed (rerun to resume; production keeps its last good model), 2 the gate refused the candidate
(production kept), 3 refused to run a day before the last finished one, 64 bad usage.`;

/** What `npm run daily` was asked to do. */
export interface DailyArgs {
  help: boolean;
  json: boolean;
  options: Omit<DailyJobOptions, 'log'>;
}

function usage(message: string, option: string, hint: string): never {
  throw new FrecError(ErrorCode.INVALID_REQUEST, message, { where: { option }, hint });
}

/** Parses the command line; a bad or missing value fails with INVALID_REQUEST naming the option. */
export function parseDailyArgs(argv: readonly string[]): DailyArgs {
  const value = (f: string): string | undefined => {
    const i = argv.indexOf(f);
    if (i < 0) return undefined;
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) usage(`${f} needs a value.`, f, `Pass e.g. ${f} <value>; see --help.`);
    return v;
  };
  const help = argv.includes('--help') || argv.includes('-h');
  const known = [
    '--day',
    '--input',
    '--repo',
    '--registry',
    '--work-dir',
    '--rollout',
    '--until',
    '--gate-latency-ms',
    '--seed',
    '--retune',
    '--retune-every-days',
    '--warm-start',
    '--cold-start',
    '--json',
    '--help',
    '-h',
  ];
  const unknown = argv.filter((a) => a.startsWith('-') && !known.includes(a));
  if (unknown.length) usage(`Unknown option(s) ${unknown.join(', ')}.`, unknown[0]!, 'See --help for the options.');
  const day = value('--day');
  if (!help && !day) usage('--day is required.', '--day', 'Pass the UTC day to run, e.g. --day "$(date -u -d yesterday +%F)".');
  if (day && !dayRange(day)) usage(`--day '${day}' is not a calendar day as YYYY-MM-DD.`, '--day', 'Pass e.g. --day 2018-09-16.');
  const rollout = value('--rollout') ?? 'now';
  if (rollout !== 'now' && rollout !== 'canary')
    usage(`--rollout '${rollout}' is neither now nor canary.`, '--rollout', 'Pass --rollout now or --rollout canary.');
  const until = value('--until');
  if (until !== undefined && !DAILY_STEPS.includes(until as DailyStep))
    usage(`--until '${until}' is not a step.`, '--until', `Pass one of ${DAILY_STEPS.join(', ')}.`);
  const seed = value('--seed');
  if (seed !== undefined && !/^\d+$/.test(seed)) usage(`--seed '${seed}' is not a whole number.`, '--seed', 'Pass e.g. --seed 42.');
  const latency = value('--gate-latency-ms');
  if (latency !== undefined && !(Number(latency) > 0))
    usage(`--gate-latency-ms '${latency}' is not a positive number.`, '--gate-latency-ms', 'Pass e.g. --gate-latency-ms 200.');
  const every = value('--retune-every-days');
  if (every !== undefined && !/^[1-9]\d*$/.test(every))
    usage(`--retune-every-days '${every}' is not a whole number of at least 1.`, '--retune-every-days', 'Pass e.g. --retune-every-days 7.');
  const repo = path.resolve(value('--repo') ?? FEATURE_REPO);
  return {
    help,
    json: argv.includes('--json'),
    options: {
      day: day ?? '',
      inputDir: path.resolve(value('--input') ?? VENDORED_DATA),
      repoPath: repo,
      registry: path.resolve(value('--registry') ?? path.join(repo, 'data', 'models')),
      workDir: path.resolve(value('--work-dir') ?? path.join(repo, 'data', 'daily')),
      rollout,
      ...(until ? { until: until as DailyStep } : {}),
      ...(seed !== undefined ? { seed: Number(seed) } : {}),
      ...(argv.includes('--warm-start') ? { warmStart: true } : argv.includes('--cold-start') ? { warmStart: false } : {}),
      ...(latency !== undefined ? { gateLatencyBudgetMs: Number(latency) } : {}),
      ...(argv.includes('--retune') ? { retune: true } : {}),
      ...(every !== undefined ? { retuneEveryDays: Number(every) } : {}),
    },
  };
}

async function main(argv: string[]): Promise<number> {
  let args: DailyArgs;
  try {
    args = parseDailyArgs(argv);
  } catch (err) {
    const e = err as FrecError;
    console.error(`error [${e.code}]: ${e.message}`);
    return EXIT.usage;
  }
  if (args.help) {
    console.log(USAGE);
    return EXIT.ok;
  }
  const log = args.json ? (l: string) => process.stderr.write(`${l}\n`) : (l: string) => process.stdout.write(`${l}\n`);
  const report = await runDailyJob({ ...args.options, log });
  if (args.json) process.stdout.write(`${JSON.stringify(report)}\n`);
  return report.exitCode;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: Error & { code?: string }) => {
      console.error(`error${err.code ? ` [${err.code}]` : ''}: ${err.message}`);
      if (process.env.FREC_DEBUG) console.error(err.stack);
      process.exitCode = EXIT.failed;
    },
  );
}
