import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCode, FrecError } from '@frec/core';
import { FEATURE_REPO, VENDORED_DATA } from '../data/load-cli.js';
import { PIPELINE_STEPS, runPipeline } from './run-pipeline.js';
import { writeTrainingBenchmarks } from './benchmarks-doc.js';

const USAGE = `Usage: npm run -w examples/streamrec train -- [movielens-folder] [options]

Loads a MovieLens folder (default: the vendored latest-small), computes the features, trains and
evaluates every model under both protocols, prints the metrics table and registers the models.
Steps: ${PIPELINE_STEPS.join(', ')}.

Options:
  --max-users N        keep only N users (seeded)
  --seed N             seed of every generator (default 42)
  --promote            promote the registered models to production
  --write-benchmarks   record the step timings and metrics in docs/benchmarks.md
                       (full vendored data set only)
  --help               this text

Exit code 0 on success, 1 on an error (its code and message on stderr).`;

/** What `npm run train` was asked to do. */
export interface TrainArgs {
  help: boolean;
  /** The MovieLens folder, resolved; the vendored latest-small by default. */
  input: string;
  maxUsers: number | undefined;
  seed: number | undefined;
  promote: boolean;
  /** Rewrite docs/benchmarks.md's StreamRec training section: opt-in, never by default. */
  writeBenchmarks: boolean;
}

/** Parses the command line of `npm run train`; a bad number fails with INVALID_REQUEST naming the option. */
export function parseTrainArgs(argv: readonly string[]): TrainArgs {
  const flag = (f: string): boolean => argv.includes(f);
  const value = (f: string): string | undefined => (argv.includes(f) ? argv[argv.indexOf(f) + 1] : undefined);
  const whole = (f: string, min: number): number | undefined => {
    const v = value(f);
    if (v === undefined) return undefined;
    if (/^\d+$/.test(v) && Number(v) >= min) return Number(v);
    throw new FrecError(ErrorCode.INVALID_REQUEST, `${f} is '${v}'; it must be a whole number of at least ${min}.`, {
      where: { option: f },
      hint: `Pass e.g. ${f} ${Math.max(min, 42)}.`,
    });
  };
  const withValue = ['--max-users', '--seed'];
  const input = argv.find((a, i) => !a.startsWith('-') && !withValue.includes(argv[i - 1] ?? ''));
  return {
    help: flag('--help') || flag('-h'),
    input: input ? path.resolve(input) : VENDORED_DATA,
    maxUsers: whole('--max-users', 1),
    seed: whole('--seed', 0),
    promote: flag('--promote'),
    writeBenchmarks: flag('--write-benchmarks'),
  };
}

/** `npm run train [-- <movielens-folder>] [--max-users N] [--seed N] [--promote] [--write-benchmarks]`: the whole pipeline. */
async function main(argv: string[]): Promise<void> {
  const args = parseTrainArgs(argv);
  if (args.help) {
    console.log(USAGE);
    return;
  }
  const t0 = performance.now();
  const res = await runPipeline({
    repoPath: FEATURE_REPO,
    inputDir: args.input,
    ...(args.maxUsers ? { maxUsers: args.maxUsers } : {}),
    ...(args.seed !== undefined ? { seed: args.seed } : {}),
    promote: args.promote,
  });
  const wall = (performance.now() - t0) / 1000;
  console.log(`pipeline wall time ${wall.toFixed(1)} s, peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB`);
  if (args.writeBenchmarks) {
    // docs/benchmarks.md holds the figures of the vendored data set at full scale only.
    if (args.maxUsers || args.input !== VENDORED_DATA)
      console.log('--write-benchmarks: skipped, it records the full vendored data set only');
    else console.log(`step timings written to ${writeTrainingBenchmarks(res, wall)}`);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((err: Error & { code?: string }) => {
    console.error(`error${err.code ? ` [${err.code}]` : ''}: ${err.message}`);
    if (process.env.FREC_DEBUG) console.error(err.stack);
    process.exitCode = 1;
  });
}
