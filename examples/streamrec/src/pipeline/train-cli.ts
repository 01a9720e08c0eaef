import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FEATURE_REPO, VENDORED_DATA } from '../data/load-cli.js';
import { runPipeline } from './run-pipeline.js';
import { writeTrainingBenchmarks } from './benchmarks-doc.js';

/**
 * `npm run train [-- <movielens-folder>] [--max-users N] [--promote] [--no-bench]`: the whole
 * pipeline, printing progress and the metrics table; at full scale it records step timings in docs/benchmarks.md.
 */
async function main(argv: string[]): Promise<void> {
  const flag = (f: string): boolean => argv.includes(f);
  const value = (f: string): string | undefined => (argv.includes(f) ? argv[argv.indexOf(f) + 1] : undefined);
  const maxUsers = value('--max-users') ? Number(value('--max-users')) : undefined;
  const input = argv.find((a, i) => !a.startsWith('--') && argv[i - 1] !== '--max-users') ?? VENDORED_DATA;
  const t0 = performance.now();
  const res = await runPipeline({
    repoPath: FEATURE_REPO,
    inputDir: path.resolve(input),
    ...(maxUsers ? { maxUsers } : {}),
    promote: flag('--promote'),
  });
  const wall = (performance.now() - t0) / 1000;
  console.log(`pipeline wall time ${wall.toFixed(1)} s, peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB`);
  if (!flag('--no-bench') && !maxUsers && input === VENDORED_DATA) {
    const file = writeTrainingBenchmarks(res, wall);
    console.log(`step timings written to ${file}`);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((err: Error & { code?: string }) => {
    console.error(`error${err.code ? ` [${err.code}]` : ''}: ${err.message}`);
    if (process.env.FREC_DEBUG) console.error(err.stack);
    process.exitCode = 1;
  });
}
