/**
 * `npm run -w examples/streamrec train -- <folder>` on a scratch copy of the feature repo, so it can
 * run beside another training of the checkout's repo (the transfer run of issue 21: the same
 * pipeline, defaults and rules on a derived MovieLens folder, derive-movielens.ts). Prints what the
 * train CLI prints (each tuned value's log line, the metrics table, the paired intervals).
 *
 *   nice -n 5 npx tsx bench/streamrec-models/train-folder.ts <movielens folder> [--seed 42]
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runPipeline } from '../../examples/streamrec/src/pipeline/run-pipeline.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { values, positionals } = parseArgs({ options: { seed: { type: 'string', default: '42' } }, allowPositionals: true });
const input = positionals[0];
if (!input) throw new Error('train-folder: pass a MovieLens folder');
const repo = mkdtempSync(path.join(tmpdir(), 'frec-train-folder-'));
try {
  mkdirSync(repo, { recursive: true });
  for (const f of ['feature_store.yaml', 'features.ts'])
    copyFileSync(path.join(root, 'examples/streamrec/feature_repo', f), path.join(repo, f));
  const t0 = performance.now();
  await runPipeline({ repoPath: repo, inputDir: path.resolve(input), seed: Number(values.seed), register: false });
  const wall = (performance.now() - t0) / 1000;
  console.log(`pipeline wall time ${wall.toFixed(1)} s, peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB`);
} finally {
  rmSync(repo, { recursive: true, force: true });
}
