/**
 * Rolling-origin evaluation of the whole StreamRec system (issue 21, part 3): the origins of
 * `npm run rolling` (rollingOrigins: 4 consecutive global cutoffs over the last 20% of events, each
 * testing on its own 5% window), each run as the full pipeline under the global split on a
 * MovieLens folder cut at the end of its test window, so every choice the pipeline makes (the
 * query, the ranker, the blend, each baseline's hyper-parameter) is made on that origin's training
 * events only. Prints each model's NDCG@20 per origin (users), the mean over origins with a 95%
 * interval (users resampled within each origin), and the two-stage system's paired difference to
 * each other model.
 *
 *   nice -n 5 npx tsx bench/streamrec-models/rolling-system.ts [--input <movielens folder>] [--origins 4] [--window 0.05] [--only 0,1]
 *     [--dump <folder>]   also write each origin's results (per-user NDCG@20 included) to <folder>/origin-<k>.json
 *     [--from <folder>]   run nothing: print the tables of the origins dumped there (origins run in separate processes)
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { readInteractions } from '../../examples/streamrec/src/data/interactions.js';
import { loadMovieLens } from '../../examples/streamrec/src/data/movielens-loader.js';
import type { EvalResult } from '../../examples/streamrec/src/eval/evaluate.js';
import { formatRolling, pooledRolling, rollingOrigins, summarizeRolling } from '../../examples/streamrec/src/eval/rolling-origin.js';
import { runPipeline } from '../../examples/streamrec/src/pipeline/run-pipeline.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { values } = parseArgs({
  options: {
    input: { type: 'string', default: path.join(root, 'examples/streamrec/data/ml-latest-small') },
    origins: { type: 'string', default: '4' },
    window: { type: 'string', default: '0.05' },
    only: { type: 'string', default: '' },
    seed: { type: 'string', default: '42' },
    dump: { type: 'string', default: '' },
    from: { type: 'string', default: '' },
  },
});

interface Dumped {
  index: number;
  results: Array<Omit<EvalResult, 'perUserNdcg20'> & { perUserNdcg20: number[] }>;
}
const TWO_STAGE = 'two_tower+dcn_v2';

/** Copies a MovieLens folder keeping only ratings and tags before `endMs` (movies and links whole). */
function cutFolder(input: string, out: string, endMs: number): void {
  mkdirSync(out, { recursive: true });
  for (const f of ['ratings.csv', 'tags.csv']) {
    const lines = readFileSync(path.join(input, f), 'utf8').split('\n');
    const head = lines[0]!;
    const keep = lines.slice(1).filter((l) => l.length > 0 && Number(l.slice(l.lastIndexOf(',') + 1)) * 1000 < endMs);
    writeFileSync(path.join(out, f), [head, ...keep].join('\n') + '\n');
  }
  for (const f of ['movies.csv', 'links.csv']) copyFileSync(path.join(input, f), path.join(out, f));
}

const scratch = mkdtempSync(path.join(tmpdir(), 'frec-rolling-system-'));
try {
  await loadMovieLens({ inputDir: values.input!, outDir: path.join(scratch, 'all') });
  const data = await readInteractions(path.join(scratch, 'all'));
  const origins = rollingOrigins(data, { origins: Number(values.origins), window: Number(values.window) });
  const dumped: Dumped[] = values.from
    ? readdirSync(values.from)
        .filter((f) => /^origin-\d+\.json$/.test(f))
        .map((f) => JSON.parse(readFileSync(path.join(values.from!, f), 'utf8')) as Dumped)
        .sort((a, b) => a.index - b.index)
    : [];
  const only = values.from ? dumped.map((d) => d.index) : values.only ? values.only.split(',').map(Number) : origins.map((o) => o.index);
  const runs: EvalResult[][] = dumped.map((d) => d.results.map((r) => ({ ...r, perUserNdcg20: Float64Array.from(r.perUserNdcg20) })));
  const used = origins.filter((o) => only.includes(o.index));
  for (const o of values.from ? [] : used) {
    const folder = path.join(scratch, `origin-${o.index}`);
    cutFolder(values.input!, folder, o.endMs);
    // The events before the window's end; the cutoff is the first event at or after o.cutoffMs.
    let n = 0,
      cut = 0;
    for (let i = 0; i < data.n; i++) {
      if (data.timeMs[i]! < o.endMs) n++;
      if (data.timeMs[i]! < o.cutoffMs) cut++;
    }
    // globalTimeSplit cuts at floor(n (1 - f)): half an event of slack keeps that at `cut` exactly.
    const fraction = (n - cut - 0.5) / n;
    const repo = path.join(scratch, `repo-${o.index}`);
    mkdirSync(repo, { recursive: true });
    for (const f of ['feature_store.yaml', 'features.ts'])
      copyFileSync(path.join(root, 'examples/streamrec/feature_repo', f), path.join(repo, f));
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const res = await runPipeline({
      repoPath: repo,
      inputDir: folder,
      seed: Number(values.seed),
      protocols: ['global_time'],
      register: false,
      quiet: true,
      steps: { split: { globalTestFraction: fraction } },
    });
    const cpu = process.cpuUsage(cpu0);
    runs.push(res.results);
    if (values.dump) {
      mkdirSync(values.dump, { recursive: true });
      const results = res.results.map((r) => ({ ...r, perUserNdcg20: Array.from(r.perUserNdcg20 ?? []) }));
      writeFileSync(path.join(values.dump, `origin-${o.index}.json`), JSON.stringify({ index: o.index, results } satisfies Dumped));
    }
    console.error(
      `origin ${o.index + 1}/${origins.length}: ${res.results[0]?.users ?? 0} users, ${((performance.now() - t0) / 1000).toFixed(0)} s wall, ` +
        `${((cpu.user + cpu.system) / 1e6).toFixed(0)} s CPU (main thread process)`,
    );
    console.error(res.results.map((r) => `  ${r.model.padEnd(22)} ${r.ndcg20.toFixed(4)}`).join('\n'));
  }
  const models = runs[0]!.map((r) => r.model);
  const byModel = (m: string): EvalResult[] => runs.map((rs) => rs.find((r) => r.model === m)!);
  const summaries = models.map((m) => {
    const rs = byModel(m);
    return { model: m, perOrigin: rs.map((r) => ({ ndcg20: r.ndcg20, users: r.users })), ...summarizeRolling(rs) };
  });
  console.log(formatRolling(summaries, used));
  const signed = (v: number): string => `${v >= 0 ? '+' : ''}${v.toFixed(4)}`;
  console.log("\nPooled over origins (every origin's users one sample, 2000 resamples, 95% intervals):");
  for (const m of models) {
    const p = pooledRolling(byModel(m));
    console.log(`  ${m.padEnd(22)} ${p.mean.toFixed(4)} (${p.lo.toFixed(4)} .. ${p.hi.toFixed(4)}), ${p.users} user-origins`);
  }
  console.log('\nTwo-stage minus each model: mean over origins (users resampled within each origin) | pooled over origins:');
  for (const m of models.filter((x) => x !== TWO_STAGE)) {
    const d = summarizeRolling(byModel(TWO_STAGE), { paired: byModel(m) });
    const p = pooledRolling(byModel(TWO_STAGE), { paired: byModel(m) });
    console.log(
      `  ${TWO_STAGE} vs ${m.padEnd(22)} ${signed(d.mean)} (${d.lo.toFixed(4)} .. ${d.hi.toFixed(4)}) | ` +
        `${signed(p.mean)} (${p.lo.toFixed(4)} .. ${p.hi.toFixed(4)})`,
    );
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
