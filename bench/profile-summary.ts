/**
 * Text summary of a V8 .cpuprofile (from `node --cpu-prof`): self time by function, and total
 * (inclusive) time of the functions whose name or file matches each `--focus` pattern, so a flame
 * graph can be kept in docs/profiles/ as text.
 * Run: npx tsx bench/profile-summary.ts <file.cpuprofile> [top=40] [--skip-ms=N] [--focus=regex ...]
 */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
const [file, topArg] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const focus = process.argv.filter((a) => a.startsWith('--focus=')).map((a) => new RegExp(a.slice(8)));
const prof = JSON.parse(readFileSync(file!, 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[] };
const top = Number(topArg ?? 40);
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
// --skip-ms=N leaves out the first N ms (start-up, module loading) so the summary is the steady state.
const skipMs = Number(process.argv.find((a) => a.startsWith('--skip-ms='))?.slice(10) ?? 0);
const selfUs = new Map<number, number>();
let clock = 0;
prof.samples.forEach((id, i) => {
  clock += prof.timeDeltas[i] ?? 0;
  if (clock >= skipMs * 1000) selfUs.set(id, (selfUs.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0));
});
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);

const short = (url: string): string => url.replace(/^.*\/node_modules\//, '~/').replace(/^file:\/\/.*\/packages\//, 'packages/');
const label = (n: Node): string =>
  `${n.callFrame.functionName || '(anonymous)'} ${short(n.callFrame.url)}${n.callFrame.url ? `:${n.callFrame.lineNumber + 1}` : ''}`;

const self = new Map<string, number>();
for (const [id, us] of selfUs) {
  const k = label(byId.get(id)!);
  self.set(k, (self.get(k) ?? 0) + us);
}
const pct = (us: number): string => `${((100 * us) / total).toFixed(1)}%`;
const idle = [...selfUs].filter(([id]) => byId.get(id)!.callFrame.functionName === '(idle)').reduce((a, [, t]) => a + t, 0);
console.log(
  `busy ${((total - idle) / 1e6).toFixed(2)} s; total sampled ${(total / 1e6).toFixed(2)} s, ${prof.samples.length} samples\n\nself time, top ${top}:`,
);
for (const [k, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(us).padStart(6)}  ${k}`);

// Inclusive time: a sample counts once for a pattern if any frame on its stack matches.
if (focus.length > 0) {
  console.log('\ninclusive time by focus pattern:');
  for (const re of focus) {
    let us = 0;
    for (const [id, t] of selfUs) {
      for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
        if (re.test(label(byId.get(cur)!))) {
          us += t;
          break;
        }
      }
    }
    console.log(`  ${pct(us).padStart(6)}  ${re.source}`);
  }
}
