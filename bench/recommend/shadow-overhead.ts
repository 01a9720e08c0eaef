import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { pacedRun, type PacedResult } from './paced-load.js';

/**
 * Shadow-scoring overhead (`npx tsx bench/recommend/shadow-overhead.ts [--quick]`, after `npm run
 * train`): finds the paced rate at which StreamRec's p95 is about 50 ms without shadow scoring,
 * then at that rate alternates runs without shadow, with the default 10% sample and with every
 * request shadowed, and prints each p50/p95 and the ratio to the runs without (the floor measured
 * in the same process). Issue 19's budget: at most +20% of request latency.
 */
const quick = process.argv.includes('--quick');
const seconds = quick ? 4 : 8;
const child = spawn(process.execPath, ['--import', 'tsx', new URL('./shadow-server-child.ts', import.meta.url).pathname], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const info = await new Promise<{ url: string; ranker: string; shadow: string; notes: string[] }>((resolve, reject) => {
  createInterface({ input: child.stdout! }).on('line', (l) => l.startsWith('{') && resolve(JSON.parse(l)));
  child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
});
for (const n of info.notes) console.log(`note: ${n}`);
if (info.shadow === 'none') {
  console.log('no trained ranker in the registry: run `npm run -w examples/streamrec train -- --promote` first');
  child.kill('SIGTERM');
  process.exit(1);
}
console.log(`models: ranker ${info.ranker}; shadow candidate: a second copy of ${info.shadow}; features memory; node ${process.version}`);

let seed = 12345;
const body = (): string => {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return JSON.stringify({ userId: 1 + (seed % 610), count: 20, context: { device: 'tv' } });
};
const setShadow = async (rate: number): Promise<void> => {
  await fetch(`${info.url}/bench/shadow`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ rate }),
  });
};
const at = (rate: number, s = seconds): Promise<PacedResult> => pacedRun(info.url, { rate, seconds: s, connections: 64, body });

// In-process service time per request (no HTTP, no queue), shadow work included: the CPU it adds.
type InProcess = { n: number; meanWithShadowMs: number; p50: number; p95: number };
const inProcess = async (rate: number): Promise<InProcess> =>
  (await (await fetch(`${info.url}/bench/inprocess?n=${quick ? 200 : 600}&rate=${rate}`)).json()) as InProcess;
await inProcess(0);
const service = new Map<number, InProcess[]>([0, 0.1, 1].map((a) => [a, []]));
for (let round = 0; round < 3; round++) for (const a of [0, 0.1, 1]) service.get(a)!.push(await inProcess(a));
const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const s0 = med(service.get(0)!.map((r) => r.meanWithShadowMs));
console.log('in-process service time, sequential requests, median of 3 rounds:');
console.log('shadow sample | mean ms / request (shadow work included) | ratio');
for (const [a, rs] of service) {
  const m = med(rs.map((r) => r.meanWithShadowMs));
  console.log(`${`${a * 100}%`.padEnd(13)} | ${m.toFixed(3).padStart(40)} | ${(m / s0).toFixed(3)}`);
}

// Warm-up, then the rate where p95 crosses 50 ms without shadow: doubling, then bisection.
await setShadow(0);
await at(50, 3);
let lo = 25;
let hi = 0;
for (let rate = 50; rate <= 6400; rate *= 2) {
  const r = await at(rate, quick ? 3 : 5);
  console.log(`sweep ${rate} req/s: p50 ${r.p50.toFixed(1)} ms, p95 ${r.p95.toFixed(1)} ms`);
  if (r.p95 > 50 || r.errors > 0) {
    hi = rate;
    break;
  }
  lo = rate;
}
if (hi === 0) hi = lo * 2;
for (let i = 0; i < (quick ? 2 : 4); i++) {
  const mid = Math.round((lo + hi) / 2);
  const r = await at(mid, quick ? 3 : 5);
  console.log(`bisect ${mid} req/s: p50 ${r.p50.toFixed(1)} ms, p95 ${r.p95.toFixed(1)} ms`);
  if (r.p95 > 50 || r.errors > 0) hi = mid;
  else lo = mid;
}
const rate = lo;
console.log(`rate with p95 about 50 ms without shadow: ${rate} req/s`);

const arms = [0, 0.1, 1] as const;
const results = new Map<number, PacedResult[]>(arms.map((a) => [a, []]));
for (let round = 0; round < (quick ? 1 : 3); round++) {
  for (const a of arms) {
    await setShadow(a);
    results.get(a)!.push(await at(rate));
  }
}
await setShadow(0);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const base = results.get(0)!;
const b50 = median(base.map((r) => r.p50));
const b95 = median(base.map((r) => r.p95));
console.log(`\nat ${rate} req/s, ${seconds} s per run, median of ${base.length} runs each:`);
console.log('shadow sample | p50 ms | p95 ms | p99 ms | p50 ratio | p95 ratio | errors');
for (const a of arms) {
  const rs = results.get(a)!;
  const p50 = median(rs.map((r) => r.p50));
  const p95 = median(rs.map((r) => r.p95));
  const p99 = median(rs.map((r) => r.p99));
  console.log(
    `${`${a * 100}%`.padEnd(13)} | ${p50.toFixed(2).padStart(6)} | ${p95.toFixed(2).padStart(6)} | ${p99.toFixed(2).padStart(6)} | ${(p50 / b50).toFixed(3).padStart(9)} | ${(p95 / b95).toFixed(3).padStart(9)} | ${rs.reduce((x, r) => x + r.errors, 0)}`,
  );
}
child.kill('SIGTERM');
