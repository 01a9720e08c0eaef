import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCode, FrecError } from '@frec/core';
import { VENDORED_DATA } from '../data/load-cli.js';
import { readInteractions } from '../data/interactions.js';
import { loadMovieLens } from '../data/movielens-loader.js';
import { describeBaselineTuning } from '../baselines/tuned-baselines.js';
import { formatRolling } from '../eval/rolling-origin.js';
import { rollingBaselines } from '../eval/rolling-baselines.js';

const USAGE = `Usage: npm run -w examples/streamrec rolling -- [movielens-folder] [options]

Rolling-origin evaluation of the classical baselines (recent popularity with a validated window,
EASE, ItemKNN, PureSVD, all-time popularity): several global cutoffs, each training on the events
before it and testing on the next window; every hyper-parameter is chosen on the window before
the cutoff. Prints each origin's NDCG@20 (users) and the mean over origins with a 95% interval.

Options:
  --origins N   number of cutoffs (default 4)
  --window F    share of all events in each test window (default 0.05)
  --seed N      seed (default 42)
  --json        print the figures as JSON
  --help        this text

Exit code 0 on success, 1 on an error (its code and message on stderr).`;

/** What \`npm run rolling\` was asked to do. */
export interface RollingArgs {
  help: boolean;
  json: boolean;
  input: string;
  origins: number;
  window: number;
  seed: number;
}

/** Parses the command line; a bad value fails with INVALID_REQUEST naming the option. */
export function parseRollingArgs(argv: readonly string[]): RollingArgs {
  const value = (f: string): string | undefined => (argv.includes(f) ? argv[argv.indexOf(f) + 1] : undefined);
  const bad = (f: string, v: string, what: string, hint: string): FrecError =>
    new FrecError(ErrorCode.INVALID_REQUEST, `${f} is '${v}'; it must be ${what}.`, { where: { option: f }, hint });
  const whole = (f: string, def: number, min: number): number => {
    const v = value(f);
    if (v === undefined) return def;
    if (/^\d+$/.test(v) && Number(v) >= min) return Number(v);
    throw bad(f, v, `a whole number of at least ${min}`, `Pass e.g. ${f} ${def}.`);
  };
  const origins = whole('--origins', 4, 1);
  const w = value('--window');
  const window = w === undefined ? 0.05 : Number(w);
  if (w !== undefined && !(window > 0 && window < 1)) throw bad('--window', w, 'a share between 0 and 1', 'Pass e.g. --window 0.05.');
  if (origins * window >= 0.9)
    throw bad(
      '--origins',
      String(origins),
      `such that origins x window (${(origins * window).toFixed(2)}) stays under 0.9`,
      'Use fewer origins or a smaller --window.',
    );
  const withValue = ['--origins', '--window', '--seed'];
  const input = argv.find((a, i) => !a.startsWith('-') && !withValue.includes(argv[i - 1] ?? ''));
  return {
    help: argv.includes('--help') || argv.includes('-h'),
    json: argv.includes('--json'),
    input: input ? path.resolve(input) : VENDORED_DATA,
    origins,
    window,
    seed: whole('--seed', 42, 0),
  };
}

/** Runs the rolling-origin evaluation of a MovieLens folder; returns what it prints. */
export async function runRolling(args: RollingArgs, progress: (m: string) => void = () => {}): Promise<string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'streamrec-rolling-'));
  try {
    await loadMovieLens({ inputDir: args.input, outDir: dir });
    const data = await readInteractions(dir);
    const r = rollingBaselines(data, {
      origins: args.origins,
      window: args.window,
      seed: args.seed,
      onOrigin: (k, n) => progress(`origin ${k + 1}/${n}`),
    });
    if (args.json) {
      return JSON.stringify(
        {
          origins: r.origins.map((o, k) => ({
            cutoff: new Date(o.cutoffMs).toISOString(),
            end: Number.isFinite(o.endMs) ? new Date(o.endMs).toISOString() : null,
            testUsers: o.test.test.size,
            validationUsers: o.validation.test.size,
            tunings: r.tunings[k],
          })),
          models: r.summaries,
        },
        null,
        2,
      );
    }
    const tunings = r.tunings.flatMap((t, k) => t.map((x) => `  origin ${k + 1}: ${describeBaselineTuning(x)}`));
    return `${formatRolling(r.summaries, r.origins)}\n\nChosen on each origin's validation window:\n${tunings.join('\n')}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  (async () => {
    const args = parseRollingArgs(process.argv.slice(2));
    if (args.help) return console.log(USAGE);
    console.log(await runRolling(args, (m) => console.error(m)));
  })().catch((err: Error & { code?: string }) => {
    console.error(`error${err.code ? ` [${err.code}]` : ''}: ${err.message}`);
    process.exitCode = 1;
  });
}
