import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FEATURE_REPO, VENDORED_DATA } from '../data/load-cli.js';
import { DAILY_REPLAY_STEPS } from './daily-config.js';
import { runReplay } from './replay.js';

const USAGE = `Usage: npm run -w examples/streamrec replay -- [options]

Replays the newest days of a MovieLens folder through the daily loop: each day's events are
published to Redis Streams and consumed by the stream worker (user_recent online and offline) and
an event log the daily job reads; then the daily job runs at the day boundary (slice, train,
materialize, shadow gate; a passed candidate is noted for its canary). Then StreamRec's
recommender HTTP server starts on the day's data with production's models, its registry sync
starts the candidate's canary (5% -> 25% -> 100% of users by a stable hash), and the next day's
users ask over HTTP, then background rounds of every user, until the canary promotes or rolls
back; the registry records it. Afterwards it asks StreamRec's request path
for the users active on each next day with the model each policy serves (retrained daily, weekly,
never) and ranks recent and all-time popularity for the same requests. Prints the tables and
writes them to docs/experiments/daily-loop-replay.md (with --write).

Options:
  --input DIR        MovieLens folder (default: the vendored latest-small)
  --days N           days with events to replay, the least with --min-requests (default 14)
  --min-requests N   widen the window a day at a time until its next-day requests reach N
                     (counted from the data before training; default 0: off)
  --max-days N       the most days --min-requests may widen to (default 35)
  --redis URL        the Redis the events stream through (default redis://127.0.0.1:6379)
  --sample-users N   users sampled beside those active in the window (default 60)
  --min-holdout N    the daily job's minimum held-out events (default 100)
  --rollout MODE     canary (default): the serving process's canary promotes or rolls back;
                     now: the job promotes a passed candidate (the replay before the canary)
  --latency-scale X  multiply the serving process's stage budgets (features 50, retrieval 50,
                     ranking 80, total 180 ms) and so the canary's p95 budget (the total) by X
                     (default 1; a loaded machine needs more, or healthy candidates roll back)
  --canary-requests-per-step N  candidate requests within budget per canary step (default 10)
  --canary-max-rounds N         background rounds at most while a canary runs (default 20)
  --inject-bad-model-day D      the candidate of day D (YYYY-MM-DD) fails at serving time after
                     passing the gate, so its canary must roll it back (--inject-mode throw|slow,
                     default throw)
  --out DIR          work folder (default: a fresh folder under /tmp)
  --write            write docs/experiments/daily-loop-replay.md
  --json             print the report as JSON
  --help             this text

Exit code 0 on success, 1 on an error.`;

async function main(argv: string[]): Promise<void> {
  if (argv.includes('--help')) {
    console.log(USAGE);
    return;
  }
  const value = (f: string) => (argv.includes(f) ? argv[argv.indexOf(f) + 1] : undefined);
  const out = path.resolve(value('--out') ?? path.join('/tmp', `streamrec-replay-${process.pid}`));
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const t0 = performance.now();
  const report = await runReplay({
    inputDir: path.resolve(value('--input') ?? VENDORED_DATA),
    outDir: out,
    repoTemplate: FEATURE_REPO,
    days: Number(value('--days') ?? 14),
    minRequests: Number(value('--min-requests') ?? 0),
    maxDays: Number(value('--max-days') ?? 35),
    redisUrl: value('--redis') ?? 'redis://127.0.0.1:6379',
    sampleUsers: Number(value('--sample-users') ?? 60),
    steps: DAILY_REPLAY_STEPS,
    minHoldoutEvents: Number(value('--min-holdout') ?? 100),
    rollout: rollout(value('--rollout') ?? 'canary'),
    serving: {
      latencyScale: Number(value('--latency-scale') ?? 1),
      requestsPerStep: Number(value('--canary-requests-per-step') ?? 10),
      maxRounds: Number(value('--canary-max-rounds') ?? 20),
      ...(value('--inject-bad-model-day')
        ? { injectBadModel: { day: value('--inject-bad-model-day')!, mode: injectMode(value('--inject-mode') ?? 'throw') } }
        : {}),
    },
    log: (l) => process.stderr.write(`${l}\n`),
  });
  const wall = Math.round((performance.now() - t0) / 1000);
  if (argv.includes('--json')) console.log(JSON.stringify(report));
  else console.log(report.markdown);
  if (argv.includes('--write')) {
    const file = fileURLToPath(new URL('../../../../docs/experiments/daily-loop-replay.md', import.meta.url));
    writeFileSync(file, `${REPORT_HEAD(wall)}${report.markdown}${REPORT_TAIL}`);
    console.error(`written to ${file}`);
  }
}

function rollout(v: string): 'canary' | 'now' {
  if (v === 'canary' || v === 'now') return v;
  throw new Error(`--rollout '${v}' is not a rollout mode: use canary or now.`);
}

function injectMode(v: string): 'throw' | 'slow' {
  if (v === 'throw' || v === 'slow') return v;
  throw new Error(`--inject-mode '${v}' is not a fault: use throw or slow.`);
}

const REPORT_HEAD = (wall: number) => `# Daily loop replay (issue 19, part 6)

Command: \`npm run -w examples/streamrec replay -- --write\` (${wall} s wall on 2 shared cores,
${new Date().toISOString().slice(0, 10)}; events through Redis Streams and the stream worker). Tables written by the command; notes below them by hand.

`;
const REPORT_TAIL = '';

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((err: Error & { code?: string }) => {
    console.error(`error${err.code ? ` [${err.code}]` : ''}: ${err.message}`);
    if (process.env.FREC_DEBUG) console.error(err.stack);
    process.exitCode = 1;
  });
}
