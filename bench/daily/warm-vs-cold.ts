/**
 * The daily job warm-started from production against the same job trained cold, on the same days:
 * one cold base day, then each later day run in two work folders copied from it (one chain warm,
 * one cold). Prints each day's step times (wall, CPU, peak RSS, from the state files), both
 * chains' candidates on the day's held-out requests (scored the same way as the gate's paired
 * check) and the warm/cold ratio of training CPU, the cold chain being the floor.
 *
 *   nice -n 5 npx tsx bench/daily/warm-vs-cold.ts [--input DIR] [--days 2018-08-31,2018-09-01,...] [--replay-steps]
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FEATURE_REPO, VENDORED_DATA } from '../../examples/streamrec/src/data/load-cli.js';
import {
  DAILY_REPLAY_STEPS,
  dayRange,
  heldOutCases,
  runDailyJob,
  scoreHeldOut,
  writeDaySlice,
  type DayState,
} from '../../examples/streamrec/src/daily/index.js';
import { pairedBootstrap, type EvalResult } from '../../examples/streamrec/src/eval/evaluate.js';
import { readMovieLens } from '../../examples/streamrec/src/serve/movielens-snapshot.js';

const argv = process.argv.slice(2);
const value = (f: string) => (argv.includes(f) ? argv[argv.indexOf(f) + 1] : undefined);
const input = path.resolve(value('--input') ?? VENDORED_DATA);
const days = (value('--days') ?? '2018-08-31,2018-09-01,2018-09-03,2018-09-05').split(',');
const steps = argv.includes('--replay-steps') ? DAILY_REPLAY_STEPS : undefined;
const root = mkdtempSync(path.join(tmpdir(), 'daily-warm-'));
const chain = (name: string) => {
  const dir = path.join(root, name);
  return { dir, repo: path.join(dir, 'repo'), registry: path.join(dir, 'repo', 'data', 'models'), work: path.join(dir, 'work') };
};
const cold = chain('cold');
mkdirSync(path.join(cold.repo, 'data'), { recursive: true });
for (const f of ['features.ts', 'feature_store.yaml']) cpSync(path.join(FEATURE_REPO, f), path.join(cold.repo, f));

const run = async (c: ReturnType<typeof chain>, day: string, warmStart: boolean) => {
  const r = await runDailyJob({
    day,
    inputDir: input,
    repoPath: c.repo,
    registry: c.registry,
    workDir: c.work,
    warmStart,
    gateLatencyBudgetMs: 10_000,
    ...(steps ? { steps } : {}),
    log: (l) =>
      / done in | failed|warm start|held-out day|shadow gate:/.test(l) ? console.error(`${warmStart ? 'warm' : 'cold'} ${l}`) : undefined,
  });
  const state = JSON.parse(readFileSync(path.join(c.work, 'state', `${day}.json`), 'utf8')) as DayState;
  return { r, state };
};

console.log(
  `node ${process.version}; input ${input}; days ${days.join(', ')}; steps ${steps ? 'DAILY_REPLAY_STEPS' : 'DAILY_STEP_CONFIGS'}`,
);
const base = await run(cold, days[0]!, false);
console.log(`base day ${days[0]}: ${base.r.message}`);
const warm = chain('warm');
cpSync(cold.dir, warm.dir, { recursive: true });

const rows: string[] = [];
const per = { warm: [] as number[], cold: [] as number[] };
const cpu = { warm: 0, cold: 0 };
for (const day of days.slice(1)) {
  const w = await run(warm, day, true);
  const c = await run(cold, day, false);
  for (const [name, x] of [
    ['warm', w],
    ['cold', c],
  ] as const) {
    const s = x.state.steps;
    cpu[name] += s.train?.cpuSeconds ?? 0;
    rows.push(
      `| ${day} | ${name} | ${(['slice', 'train', 'materialize', 'gate'] as const).map((k) => (s[k] ? `${s[k]!.seconds} / ${s[k]!.cpuSeconds} / ${s[k]!.peakRssMiB}` : '-')).join(' | ')} | ${x.r.outcome?.kind ?? x.r.status} |`,
    );
  }
  // Both chains' candidates on the same held-out requests of the day.
  const range = dayRange(day)!;
  const before = writeDaySlice(input, path.join(root, 'before', day), { startMs: range.startMs, endMs: range.startMs });
  const through = readMovieLens(path.join(cold.work, 'days', day));
  const users = [...new Set([...through.histories.entries()].filter(([, h]) => h.timesMs.some((t) => t >= range.startMs)).map(([u]) => u))];
  const cases = heldOutCases(readMovieLens(before.dir), through, users);
  for (const [name, x, c2] of [
    ['warm', w, warm],
    ['cold', c, cold],
  ] as const) {
    const v = x.r.outcome && 'versions' in x.r.outcome ? x.r.outcome.versions : undefined;
    if (!v) continue;
    const s = await scoreHeldOut({
      beforeDir: before.dir,
      repoPath: c2.repo,
      registry: c2.registry,
      pair: { twoTower: v.two_tower!, ranker: v.ranker! },
      cases,
    });
    per[name].push(...s.ndcg20);
  }
  rmSync(before.dir, { recursive: true, force: true });
}

console.log('\n| day | chain | slice s / CPU s / MiB | train s / CPU s / MiB | materialize | gate | outcome |');
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
const mean = (v: number[]) => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : 0);
const res = (model: string, v: number[]): EvalResult => {
  const r: EvalResult = { model, protocol: 'global_time', users: v.length, ndcg20: mean(v), recall20: 0 };
  Object.defineProperty(r, 'perUserNdcg20', { value: Float64Array.from(v), enumerable: false });
  return r;
};
if (per.warm.length && per.warm.length === per.cold.length) {
  const p = pairedBootstrap(res('warm', per.warm), res('cold', per.cold), { seed: 42 });
  console.log(
    `\nheld-out NDCG@20 over ${per.warm.length} requests: warm ${mean(per.warm).toFixed(4)}, cold ${mean(per.cold).toFixed(4)}, ` +
      `warm - cold ${p.diff.toFixed(4)} (95% paired interval ${p.diffLo.toFixed(4)} .. ${p.diffHi.toFixed(4)})`,
  );
}
console.log(
  `training CPU: warm ${cpu.warm.toFixed(1)} s, cold (floor) ${cpu.cold.toFixed(1)} s, ratio ${(cpu.warm / Math.max(cpu.cold, 1e-9)).toFixed(2)}x`,
);
rmSync(root, { recursive: true, force: true });
