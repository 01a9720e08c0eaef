/**
 * How much of a StreamRec evaluation figure is the training seed: runs the pipeline once per seed
 * (one protocol, nothing registered) and prints each model's NDCG@20 per seed, the mean and range,
 * and the two-stage system's ratio to each baseline per seed. The global split evaluates only
 * 32 users, so one seed's figure is not the model's figure (ADR 0052).
 *
 *   npx tsx bench/streamrec-models/seed-sweep.ts [--protocol global_time|per_user_temporal] [--seeds 42,1,2,3,4]
 *
 * The two-stage order at blend weights 0 and 1 is reported too (two_stage_w0, two_stage_w1). The
 * switches that reproduced figures from before ADR 0076-0078 are gone with the pipeline options they set (git history keeps them).
 */
import { mkdtempSync, copyFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runPipeline } from '../../examples/streamrec/src/pipeline/run-pipeline.js';
import type { ProtocolName } from '../../examples/streamrec/src/eval/protocols.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const arg = (flag: string, fallback: string): string =>
  process.argv.includes(flag) ? process.argv[process.argv.indexOf(flag) + 1]! : fallback;
const protocol = arg('--protocol', 'global_time') as ProtocolName;
const seeds = arg('--seeds', '42,1,2,3,4').split(',').map(Number);
const TWO_STAGE = 'two_tower+dcn_v2';

const ndcg = new Map<string, number[]>();
let users = 0;
for (const seed of seeds) {
  const repo = mkdtempSync(path.join(tmpdir(), 'frec-seed-sweep-'));
  for (const f of ['feature_store.yaml', 'features.ts'])
    copyFileSync(path.join(root, 'examples', 'streamrec', 'feature_repo', f), path.join(repo, f));
  try {
    const t0 = performance.now();
    const res = await runPipeline({
      repoPath: repo,
      inputDir: path.join(root, 'examples/streamrec/data/ml-latest-small'),
      seed,
      protocols: [protocol],
      register: false,
      quiet: true,
      steps: { evaluate: { reportBlends: true } },
    });
    for (const r of res.results) {
      users = r.users;
      const a = ndcg.get(r.model) ?? [];
      a.push(r.ndcg20);
      ndcg.set(r.model, a);
    }
    console.log(
      `seed ${seed}: done in ${((performance.now() - t0) / 1000).toFixed(0)} s; ${TWO_STAGE} NDCG@20 ${ndcg.get(TWO_STAGE)!.at(-1)!.toFixed(4)}`,
    );
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
}

const mean = (a: number[]): number => a.reduce((s, x) => s + x, 0) / a.length;
console.log(`\n${protocol}, ${users} users, NDCG@20 per seed (${seeds.join(', ')})`);
console.log(`| model | ${seeds.map((s) => `seed ${s}`).join(' | ')} | mean | min .. max |`);
console.log(`|---|${seeds.map(() => '---:').join('|')}|---:|---|`);
for (const [model, v] of ndcg) {
  console.log(
    `| ${model} | ${v.map((x) => x.toFixed(4)).join(' | ')} | ${mean(v).toFixed(4)} | ${Math.min(...v).toFixed(4)} .. ${Math.max(...v).toFixed(4)} |`,
  );
}
const ours = ndcg.get(TWO_STAGE)!;
console.log(`\n${TWO_STAGE} against each baseline, per seed (ratio of NDCG@20):`);
for (const base of ['popularity_all_time', 'popularity_recent_30d', 'bpr_mf']) {
  const b = ndcg.get(base)!;
  const ratios = ours.map((x, i) => x / b[i]!);
  console.log(
    `  vs ${base}: ${ratios.map((r) => `${r.toFixed(2)}x`).join(' ')}; mean ${(mean(ours) / mean(b)).toFixed(2)}x; above it on ${ratios.filter((r) => r > 1).length} of ${seeds.length} seeds`,
  );
}
