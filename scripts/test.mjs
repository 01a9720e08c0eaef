#!/usr/bin/env node
// Runs the whole vitest suite and ends with one plain summary line ("Tests: N passed, N failed"),
// which CI systems that do not parse vitest's own output can read.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';

const outDir = path.resolve('.frec-tmp');
mkdirSync(outDir, { recursive: true });
const report = path.join(outDir, 'vitest-report.json');
rmSync(report, { force: true });
const vitest = path.resolve('node_modules/vitest/vitest.mjs');
const res = spawnSync(
  process.execPath,
  [vitest, 'run', '--reporter=default', '--reporter=json', `--outputFile=${report}`, ...process.argv.slice(2)],
  {
    stdio: 'inherit',
  },
);
let summary;
try {
  const r = JSON.parse(readFileSync(report, 'utf8'));
  const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  summary = `Tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ''}`;
} catch {
  summary = 'Tests: 0 passed, 1 failed (no vitest report was written)';
}
process.stdout.write(`\n${summary}\n`);
process.exit(res.status ?? 1);
