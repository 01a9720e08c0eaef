/**
 * Point-in-time join benchmark: frec's getHistoricalFeatures (toParquet) against a hand-written
 * DuckDB ASOF JOIN over the same Parquet files doing the same work (TTL, created-time tie-break,
 * entity order), each variant in its own process so its peak RSS is its own.
 *
 *   npx tsx bench/offline/pit-join.ts                  # 1/10 scale: 100k entity rows x 3 views x 1M rows
 *   npx tsx bench/offline/pit-join.ts --scale 1        # the issue's scale: 1M x 3 x 10M, 100k entities
 *   npx tsx bench/offline/pit-join.ts --scale 1 --entity-rows 10000000 --variants frec --memory-limit 4GB
 *   options: --variants frec,hand,... --repeat N --root DIR
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { rmSync, mkdirSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import { generate, VIEWS, type PitScale } from './pit-data.js';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt;
}

const scale = Number(arg('scale', '0.1'));
const s: PitScale = {
  entityRows: Number(arg('entity-rows', String(Math.round(1_000_000 * scale)))),
  featureRows: Math.round(10_000_000 * scale),
  entities: 100_000,
  days: 30,
};
const variants = arg('variants', 'frec,hand').split(',');
const repeat = Number(arg('repeat', '1'));
const memoryLimit = arg('memory-limit', '8GB');
const root = arg('root', path.join(os.tmpdir(), 'frec-bench-offline'));
const here = path.dirname(new URL(import.meta.url).pathname);

console.log(
  `machine: ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}; ${new Date().toISOString()}`,
);
console.log(
  `data: ${s.entityRows.toLocaleString()} entity rows x ${VIEWS.length} views x ${s.featureRows.toLocaleString()} rows, ${s.entities.toLocaleString()} entities, ${s.days} days; memory_limit ${memoryLimit}, 2 threads`,
);
let t = performance.now();
const dir = await generate(root, s);
console.log(`generated/reused ${dir} in ${((performance.now() - t) / 1000).toFixed(1)} s`);

const outDir = path.join(root, 'out');
rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
type Result = { wallMs: number; cpuMs: number; maxRssMB: number };
const results = new Map<string, Result[]>();
for (let r = 0; r < repeat; r++) {
  // Alternate the order so neither side always runs on a warm page cache.
  const order = r % 2 === 0 ? variants : [...variants].reverse();
  for (const v of order) {
    const line = execFileSync(process.execPath, ['--import', 'tsx', path.join(here, 'pit-variant.ts'), v, dir, outDir, memoryLimit], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const res = JSON.parse(line.trim().split('\n').pop()!) as Result;
    console.log(
      `  ${v.padEnd(15)} wall ${(res.wallMs / 1000).toFixed(2).padStart(7)} s   cpu ${(res.cpuMs / 1000).toFixed(2).padStart(7)} s   peak RSS ${String(res.maxRssMB).padStart(6)} MB`,
    );
    results.set(v, [...(results.get(v) ?? []), res]);
  }
}

const best = (v: string, k: 'wallMs' | 'cpuMs') => Math.min(...(results.get(v) ?? []).map((x) => x[k]));
const rss = (v: string) => Math.max(...(results.get(v) ?? []).map((x) => x.maxRssMB));
const ratio = (v: string, k: 'wallMs' | 'cpuMs') => (results.has('hand') ? `${(best(v, k) / best('hand', k)).toFixed(2)}x` : '-');
console.log(
  `\nload average at end: ${os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
);
console.log('variant          best wall  (vs hand)    best cpu  (vs hand)   peak RSS');
for (const v of variants) {
  console.log(
    `${v.padEnd(16)} ${(best(v, 'wallMs') / 1000).toFixed(2).padStart(8)} s ${ratio(v, 'wallMs').padStart(8)}  ${(best(v, 'cpuMs') / 1000).toFixed(2).padStart(8)} s ${ratio(v, 'cpuMs').padStart(8)}  ${String(rss(v)).padStart(6)} MB`,
  );
}

// Same rows in the same order: compare frec's file with the hand-written query's, row by row.
if (results.has('frec') && results.has('hand')) {
  t = performance.now();
  const db = await DuckDBInstance.create(':memory:', {
    threads: '2',
    memory_limit: memoryLimit,
    temp_directory: path.join(outDir, 'spill'),
  });
  const c = await db.connect();
  const cols = ['user_id', 'event_timestamp', 'label', ...VIEWS.flatMap((v) => ['a', 'b', 'c'].map((x) => `${v.name}_${x}`))];
  const numbered = (f: string) => `(SELECT row_number() OVER () AS rn, ${cols.join(', ')} FROM read_parquet('${path.join(outDir, f)}'))`;
  const r = await c.runAndReadAll(
    `SELECT count(*) AS n, count(*) FILTER (WHERE (${cols.map((x) => `x.${x}`).join(', ')}) IS DISTINCT FROM (${cols.map((x) => `y.${x}`).join(', ')})) AS diff,
            count(x.v0_a) AS matched_v0
     FROM ${numbered('frec.parquet')} x FULL JOIN ${numbered('hand.parquet')} y USING (rn)`,
  );
  const row = r.getRowObjectsJS()[0]!;
  console.log(
    `\ncheck: ${row.n} rows compared, ${row.diff} differ (must be 0), ${row.matched_v0} rows matched a v0 row (${((performance.now() - t) / 1000).toFixed(1)} s)`,
  );
  c.closeSync();
  db.closeSync();
  if (Number(row.diff) !== 0) process.exitCode = 1;
}
rmSync(outDir, { recursive: true, force: true });
