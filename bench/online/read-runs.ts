/**
 * getOnlineFeatures against raw MGET, each contender alone in its own process, many processes,
 * under V8's default flags and under `--no-allocation-site-pretenuring` (what `frec serve` sets).
 *   npx tsx bench/online/read-runs.ts [shape a|b] [runs] [iterations per run]
 *
 * Why processes: a read's p99 on this machine is set by V8's young-generation collections, and
 * under default flags a process settles for its lifetime into one of two regimes: scavenges of
 * ~0.3 ms, or, once V8 pretenures ioredis's reply buffers, scavenges of ~2 ms and five times as
 * many old-space collections. Raw MGET shows both regimes too, so one process of each can
 * compare one regime with the other (ADR 0024). Runs alternate raw, frec, raw, frec...; the
 * figures are over all calls of all runs pooled.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pct } from './bench-repo.js';

const shape = process.argv[2] ?? 'b';
const RUNS = Number(process.argv[3] ?? 6);
const ITER = Number(process.argv[4] ?? 10_000);
const here = path.dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), 'frec-read-runs-'));
const modes = ['raw', 'frec'] as const;
const regimes: Array<{ name: string; flags: string[] }> = [
  { name: 'default V8 flags', flags: [] },
  { name: '--no-allocation-site-pretenuring', flags: ['--no-allocation-site-pretenuring'] },
];

function summary(lat: number[]): { p50: number; p99: number } {
  const s = [...lat].sort((x, y) => x - y);
  return { p50: pct(s, 50), p99: pct(s, 99) };
}

function runOnce(flags: string[], mode: string, file: string): number[] {
  execFileSync(process.execPath, [...flags, '--import', 'tsx', path.join(here, 'read-profile.ts'), shape, String(ITER), mode, file], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const b = readFileSync(file);
  return Array.from(new Float64Array(b.buffer, b.byteOffset, b.byteLength / 8));
}

try {
  console.log(`node ${process.version}, shape ${shape}, ${RUNS} runs x ${ITER} calls per contender and regime, alternating processes`);
  for (const regime of regimes) {
    const pooled: Record<string, number[]> = { raw: [], frec: [] };
    console.log(`\n${regime.name}`);
    for (let run = 0; run < RUNS; run++) {
      const line: string[] = [];
      for (const mode of modes) {
        const lat = runOnce(regime.flags, mode, path.join(dir, `${mode}-${run}.f64`));
        pooled[mode]!.push(...lat);
        const s = summary(lat);
        line.push(`${mode} p50 ${s.p50.toFixed(3)} p99 ${s.p99.toFixed(3)}`);
      }
      console.log(`  run ${run + 1}: ${line.join(' | ')}`);
    }
    const raw = summary(pooled.raw!);
    const frec = summary(pooled.frec!);
    console.log(`  pooled raw MGET          p50 ${raw.p50.toFixed(3)} ms  p99 ${raw.p99.toFixed(3)} ms`);
    console.log(`  pooled getOnlineFeatures p50 ${frec.p50.toFixed(3)} ms  p99 ${frec.p99.toFixed(3)} ms`);
    console.log(`  ratio (target <= 1.5x)   p50 ${(frec.p50 / raw.p50).toFixed(2)}x  p99 ${(frec.p99 / raw.p99).toFixed(2)}x`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
