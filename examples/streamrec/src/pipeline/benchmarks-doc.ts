import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import type { PipelineResult } from './run-pipeline.js';

/** docs/benchmarks.md at the monorepo root. */
export const BENCHMARKS_FILE = fileURLToPath(new URL('../../../../docs/benchmarks.md', import.meta.url));
const HEADING = '## StreamRec training';

/** Replaces (or appends) the `## StreamRec training` section with this run's step timings and metrics. */
export function writeTrainingBenchmarks(res: PipelineResult, wallSeconds: number, file = BENCHMARKS_FILE): string {
  const lines = [
    HEADING,
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} on ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'cpu'}), ` +
      `Node ${process.version}, \`npm run -w examples/streamrec train -- --write-benchmarks\` on MovieLens latest-small ` +
      `(${res.load.interactions} ratings, ${res.load.users} users, ${res.load.items} items). ` +
      'Peak RSS is the process high-water mark at the end of the step. ' +
      `Load average at the end of the run: ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' / ')} (1/5/15 min; the machine is shared, so wall times include contention).`,
    '',
    '| step | wall (s) | peak RSS (MiB) | RSS after (MiB) |',
    '|---|---:|---:|---:|',
    ...res.timings.map((t) => `| ${t.step} | ${t.seconds.toFixed(2)} | ${t.peakRssMiB} | ${t.rssMiB} |`),
    `| **whole pipeline** | **${wallSeconds.toFixed(1)}** | ${Math.round(process.resourceUsage().maxRSS / 1024)} | |`,
    '',
    'The two-tower ensembles train on worker threads (ADR 0075) while the main thread runs the steps above, so ' +
      '`train-two-tower` and `refit-two-tower` are how long the main thread waited for them. Each tower training on its thread:',
    '',
    '| tower training (worker thread) | training time (s) | peak RSS at its end (MiB) |',
    '|---|---:|---:|',
    ...res.workerTimings.map((t) => `| ${t.step} | ${t.seconds.toFixed(2)} | ${t.peakRssMiB} |`),
    '',
    `Target: the whole pipeline under 300 s; this run took ${wallSeconds.toFixed(1)} s (${(wallSeconds / 300).toFixed(2)}x the budget).`,
    '',
    'Offline evaluation (full ranking over all items, seen items excluded; see ADR 0050):',
    '',
    '```',
    res.table,
    '```',
    '',
    'The two-stage system against each baseline, paired bootstrap over the evaluated users (2000 resamples, 95% intervals):',
    '',
    '```',
    res.comparisons,
    '```',
    '',
  ];
  const section = lines.join('\n');
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const start = text.indexOf(HEADING);
  let next: string;
  if (start < 0) next = `${text.trimEnd()}\n\n${section}`;
  else {
    const end = text.indexOf('\n## ', start + HEADING.length);
    next = `${text.slice(0, start)}${section}${end < 0 ? '' : text.slice(end + 1)}`;
  }
  writeFileSync(file, next);
  return file;
}
