/**
 * Aggregation views benchmark (issue 18): each variant runs in its own process (peak RSS its own) and
 * prints frec's figure beside a raw floor measured in the same run.
 *
 *   npx tsx bench/aggregations/aggregations.ts                 # scale 0.1: 1M events, 10k entities, 30 days
 *   npx tsx bench/aggregations/aggregations.ts --scale 1       # the issue's: 10M events, 100k entities, 1M entity rows
 *   options: --variants hand,hand-tiles,backfill,incremental,online-pair,online-pair-recent,pit,historical --root DIR (online, online-plain: one view per process)
 *
 * View: 3 windows (1d, 7d, 30d) x 4 aggregations (count, sum, mean, max of `rating`), tile 1h.
 * - backfill: `materialize` of all 30 days into SQLite; hand: one DuckDB statement computing the same
 *   12 values per entity at the end time, written to SQLite as one row per entity (same table shape as
 *   frec's store), compute and write timed apart; hand-tiles: the hourly tiles themselves by one
 *   hand-written statement to Parquet (what the tile design costs before any frec code).
 * - incremental: `materializeIncremental` of day 30 after days 1-29 (only day 30 is timed).
 * - online-pair: getOnlineFeatures of 1 entity x 12 windowed aggregates vs 12 precomputed values of a plain view,
 *   alternating in one process (p50 of 2,500 each), after the backfill; online-pair-recent: the same after the
 *   incremental run, whose recent rows a read looks up beside the base rows.
 * - historical: getHistoricalFeatures of the entity rows against the aggregates vs the PIT join of a
 *   plain view holding the 12 values per event (the per-event-rows design).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import Database from 'better-sqlite3';
import { FeatureStore, loadRepoConfig, type RepoContents } from '@frec/core';
import { benchViews, FEATURES, WINDOWS } from './bench-views.js';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt;
}

const DAY = 86_400_000;
const START = Date.UTC(2026, 0, 1);
const END = START + 30 * DAY;
const scale = Number(arg('scale', '0.1'));
const S = { events: Math.round(10_000_000 * scale), entities: Math.round(100_000 * scale), entityRows: Math.round(1_000_000 * scale) };
const root = arg('root', path.join(os.tmpdir(), `frec-bench-agg-${scale}`));
function definitions(): RepoContents {
  return benchViews().contents;
}

async function generate(): Promise<void> {
  if (existsSync(path.join(root, 'data', 'done'))) return;
  rmSync(root, { recursive: true, force: true });
  mkdirSync(path.join(root, 'data', 'events'), { recursive: true });
  mkdirSync(path.join(root, 'data', 'precomputed'), { recursive: true });
  const db = await DuckDBInstance.create(':memory:', { threads: '2' });
  const c = await db.connect();
  const perDay = Math.round(S.events / 30);
  for (let d = 0; d < 30; d++) {
    // Seeded by row number: the same data on every run.
    await c.run(`COPY (SELECT (hash(i * 7 + ${d}) % ${S.entities})::BIGINT AS user_id,
        make_timestamp((${START + d * DAY} + (hash(i * 13 + ${d}) % ${DAY}))::BIGINT * 1000) AS ts,
        (hash(i * 3 + ${d}) % 11) / 2.0 AS rating
      FROM range(${perDay}) r(i) ORDER BY ts) TO '${root}/data/events/day${String(d).padStart(2, '0')}.parquet' (FORMAT parquet)`);
  }
  // Per-event rows of 12 values (the shape a PIT join of precomputed values reads); values random, only the cost matters.
  await c.run(`COPY (SELECT user_id, ts, ${FEATURES.map((f, j) => `(hash(user_id + ${j}) % 1000) / 10.0 AS ${f}`).join(', ')}
    FROM read_parquet('${root}/data/events/*.parquet')) TO '${root}/data/precomputed/rows.parquet' (FORMAT parquet)`);
  await c.run(`COPY (SELECT (hash(i * 31) % ${S.entities})::BIGINT AS user_id, make_timestamp((${START + 1 * DAY} + (hash(i * 17) % ${29 * DAY}))::BIGINT * 1000) AS event_timestamp
    FROM range(${S.entityRows}) r(i)) TO '${root}/entity-rows.parquet' (FORMAT parquet)`);
  writeFileSync(path.join(root, 'data', 'done'), '');
  c.closeSync();
  db.closeSync();
}

async function openStore(online: string): Promise<FeatureStore> {
  writeFileSync(
    path.join(root, 'feature_store.yaml'),
    `project: bench\nregistry:\n  path: data/registry-${online}.json\n  cache_ttl_seconds: 60\nonline_store:\n  type: sqlite\n  path: data/${online}.db\noffline_store:\n  type: duckdb\n  threads: 2\n  memory_limit: 4GB\n`,
  );
  const contents = definitions();
  const store = await FeatureStore.open({
    config: loadRepoConfig(root),
    definitions: contents,
    plugins: ['@frec/online', '@frec/offline'],
  });
  await store.apply(contents, { validateSources: false });
  return store;
}

/** With FREC_BENCH_PROFILE=file, a CPU profile (.cpuprofile) of the timed span only, by the inspector. */
async function profiled<T>(fn: () => Promise<T>): Promise<T> {
  const file = process.env.FREC_BENCH_PROFILE;
  if (!file) return fn();
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await fn();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** One variant, in this process; prints one JSON line. */
async function runVariant(v: string): Promise<void> {
  const t0 = performance.now();
  // CPU time of the process (DuckDB's threads included): steadier than wall time on a shared machine.
  const cpu0 = process.cpuUsage();
  let extra: Record<string, unknown> = {};
  if (v === 'hand' || v === 'hand-tiles') {
    const db = await DuckDBInstance.create(':memory:', { threads: '2', memory_limit: '4GB' });
    const c = await db.connect();
    const events = `(SELECT user_id, epoch_ms(ts) AS t, rating FROM read_parquet('${root}/data/events/*.parquet') WHERE ts < make_timestamp(${END}::BIGINT * 1000))`;
    if (v === 'hand-tiles') {
      // The tile design's own floor: the same hourly tiles (count, sum, max of rating, newest time) by hand, to Parquet.
      await c.run(
        `COPY (SELECT user_id, t // 3600000 AS hour, count(*) AS c, sum(rating) AS s, max(rating) AS m, max(t) AS maxt FROM ${events} GROUP BY ALL ORDER BY user_id, hour) TO '${root}/hand-tiles.parquet' (FORMAT parquet)`,
      );
    } else {
      // The issue's floor: the 12 values per entity at the end time, then written to the online store as frec writes its rows.
      const lo = (w: number) => Math.floor(END / 3_600_000) * 3_600_000 - w * DAY;
      const agg = WINDOWS.map((w) => Number(w.replace('d', '')))
        .map(
          (w) =>
            `count(*) FILTER (WHERE t >= ${lo(w)})::DOUBLE AS count_${w}d, coalesce(sum(rating) FILTER (WHERE t >= ${lo(w)}), 0)::DOUBLE AS rating_sum_${w}d, coalesce(avg(rating) FILTER (WHERE t >= ${lo(w)}), 'NaN')::DOUBLE AS rating_mean_${w}d, coalesce(max(rating) FILTER (WHERE t >= ${lo(w)}), 'NaN')::DOUBLE AS rating_max_${w}d`,
        )
        .join(', ');
      const result = await c.stream(`SELECT user_id::VARCHAR AS k, max(t)::DOUBLE AS maxt, ${agg} FROM ${events} GROUP BY user_id`);
      // Raw floor of the write: a plain SQLite upsert of one 96-byte row (12 float64) per entity, same table shape and pragmas as frec's store.
      const rows: Array<[string, number, Uint8Array]> = [];
      for (;;) {
        const chunk = await result.fetchChunk();
        if (!chunk || chunk.rowCount === 0) break;
        const n = chunk.rowCount;
        const keys = chunk.getColumnValues(0) as string[];
        const cols = Array.from({ length: 13 }, (_, j) => (chunk.getColumnVector(j + 1) as unknown as { items: Float64Array }).items);
        for (let r = 0; r < n; r++) {
          const row = new Float64Array(12);
          for (let j = 0; j < 12; j++) row[j] = cols[j + 1]![r]!;
          rows.push([keys[r]!, cols[0]![r]!, new Uint8Array(row.buffer)]);
        }
      }
      const computeMs = performance.now() - t0;
      const file = path.join(root, 'data', 'hand.db');
      rmSync(file, { force: true });
      const sqlite = new Database(file);
      sqlite.pragma('journal_mode = WAL');
      sqlite.pragma('synchronous = NORMAL');
      sqlite.exec(
        'CREATE TABLE rows (project TEXT NOT NULL, view TEXT NOT NULL, entity_key TEXT NOT NULL, event_ms REAL NOT NULL, created_ms REAL NOT NULL, row BLOB NOT NULL, PRIMARY KEY (project, view, entity_key)) WITHOUT ROWID',
      );
      const upsert = sqlite.prepare(
        'INSERT INTO rows VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (project, view, entity_key) DO UPDATE SET event_ms = excluded.event_ms, created_ms = excluded.created_ms, row = excluded.row',
      );
      const now = Date.now();
      sqlite.transaction(() => {
        for (const [k, maxt, row] of rows) upsert.run('bench', 'user_hand', k, maxt, now, row);
      })();
      sqlite.close();
      extra = { computeMs, writeMs: performance.now() - t0 - computeMs };
    }
    const used = process.cpuUsage(cpu0);
    extra.cpuMs = (used.user + used.system) / 1000;
    c.closeSync();
    db.closeSync();
  } else if (v === 'backfill') {
    rmSync(path.join(root, 'data', 'backfill.db'), { force: true });
    const store = await openStore('backfill');
    const t1 = performance.now();
    const c1 = process.cpuUsage();
    const r = await profiled(() => store.materialize(new Date(0), new Date(END), { views: ['user_agg'] }));
    const c2 = process.cpuUsage(c1);
    extra = { entities: r.rows, timedMs: performance.now() - t1, cpuMs: (c2.user + c2.system) / 1000 };
    await store.close();
  } else if (v === 'incremental') {
    rmSync(path.join(root, 'data', 'incremental.db'), { force: true });
    rmSync(path.join(root, 'data', 'registry-incremental.json'), { force: true });
    const store = await openStore('incremental');
    await store.materializeIncremental(new Date(END - DAY), { views: ['user_agg'] });
    const t1 = performance.now();
    const c1 = process.cpuUsage();
    const r = await profiled(() => store.materializeIncremental(new Date(END), { views: ['user_agg'] }));
    const c2 = process.cpuUsage(c1);
    extra = { entities: r.views[0]!.rows, timedMs: performance.now() - t1, cpuMs: (c2.user + c2.system) / 1000 };
    await store.close();
  } else if (v === 'online' || v === 'online-plain') {
    const store = await openStore('backfill');
    if (v === 'online-plain') await store.materialize(new Date(0), new Date(END), { views: ['user_pre'] });
    const view = v === 'online' ? 'user_agg' : 'user_pre';
    const features = FEATURES.map((f) => `${view}:${f}`);
    const times: number[] = [];
    for (let i = 0; i < 3000; i++) {
      const entityRows = [{ user_id: (i * 7919) % S.entities }];
      const a = performance.now();
      await store.getOnlineFeatures({ features, entityRows, ...(v === 'online' ? { requestTime: END } : {}) });
      if (i >= 500) times.push(performance.now() - a);
    }
    extra = { p50Us: median(times) * 1000 };
    await store.close();
  } else if (v === 'online-pair' || v === 'online-pair-recent') {
    // Both reads in one process, alternating, so a shared machine's load drifts over both alike.
    // online-pair-recent: the rows the incremental variant left (base rows and day 30's recent rows: two lookups a read).
    const store = await openStore(v === 'online-pair' ? 'backfill' : 'incremental');
    await store.materialize(new Date(0), new Date(END), { views: ['user_pre'] });
    const times: Record<string, number[]> = { user_agg: [], user_pre: [] };
    for (let i = 0; i < 6000; i++) {
      const view = i % 2 === 0 ? 'user_agg' : 'user_pre';
      const entityRows = [{ user_id: ((i >> 1) * 7919) % S.entities }];
      const features = FEATURES.map((f) => `${view}:${f}`);
      const a = performance.now();
      await store.getOnlineFeatures({ features, entityRows, ...(view === 'user_agg' ? { requestTime: END } : {}) });
      if (i >= 1000) times[view]!.push(performance.now() - a);
    }
    extra = { p50Us: median(times.user_agg!) * 1000, plainP50Us: median(times.user_pre!) * 1000 };
    await store.close();
  } else if (v === 'historical' || v === 'pit') {
    const store = await openStore('backfill');
    const view = v === 'historical' ? 'user_agg' : 'user_pre';
    const t1 = performance.now();
    // CPU time of the process (every DuckDB thread included) beside the wall time: on a shared machine load inflates the wall time of the more serial side more.
    const c1 = process.cpuUsage();
    const job = await store.getHistoricalFeatures({
      features: FEATURES.map((f) => `${view}:${f}`),
      entities: { parquet: path.join(root, 'entity-rows.parquet') },
    });
    await job.toParquet(path.join(root, `${v}.parquet`));
    await job.close?.();
    const c2 = process.cpuUsage(c1);
    extra = { timedMs: performance.now() - t1, cpuMs: (c2.user + c2.system) / 1000 };
    await store.close();
  }
  const wallMs = extra.timedMs !== undefined ? (extra.timedMs as number) : performance.now() - t0;
  console.log(JSON.stringify({ variant: v, wallMs, maxRssMB: process.resourceUsage().maxRSS / 1024, ...extra }));
}

if (process.argv[2] === '--variant') {
  await runVariant(process.argv[3]!);
} else {
  console.log(
    `machine: ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}, load ${os.loadavg()[0]!.toFixed(1)}; ${new Date().toISOString()}`,
  );
  console.log(
    `data: ${S.events.toLocaleString()} events, ${S.entities.toLocaleString()} entities, 30 days, ${S.entityRows.toLocaleString()} entity rows`,
  );
  const t = performance.now();
  await generate();
  console.log(`generated/reused ${root} in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  const variants = arg('variants', 'hand,hand-tiles,backfill,incremental,online-pair,online-pair-recent,pit,historical').split(',');
  const res = new Map<string, Record<string, number>>();
  for (const v of variants) {
    const out = execFileSync(
      process.execPath,
      ['--import', 'tsx', new URL(import.meta.url).pathname, '--variant', v, ...process.argv.slice(2)],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const r = JSON.parse(out.trim().split('\n').pop()!) as Record<string, number>;
    res.set(v, r);
    if (v === 'online-pair' || v === 'online-pair-recent') {
      const suffix = v === 'online-pair' ? '' : '-recent';
      res.set(`online${suffix}`, r);
      res.set(`online-plain${suffix}`, { p50Us: r.plainP50Us! });
    }
    console.log(`${v}: ${JSON.stringify(r)}`);
  }
  const ratio = (a: string, b: string, k = 'wallMs') => (res.has(a) && res.has(b) ? (res.get(a)![k]! / res.get(b)![k]!).toFixed(2) : '-');
  console.log('\n| measure | frec | baseline (same run) | ratio | target |');
  console.log('|---|---|---|---|---|');
  const s = (v: string, k = 'wallMs') =>
    res.has(v) ? `${(res.get(v)![k]! / (k.endsWith('Ms') ? 1000 : 1)).toFixed(k.endsWith('Ms') ? 2 : 1)}` : '-';
  console.log(
    `| backfill 30 days (s; peak RSS ${s('backfill', 'maxRssMB')} MB vs ${s('hand', 'maxRssMB')} MB) | ${s('backfill')} | hand-written DuckDB SQL + SQLite write ${s('hand')} (compute ${s('hand', 'computeMs')}, write ${s('hand', 'writeMs')}) | ${ratio('backfill', 'hand')}x | <= 1.3x |`,
  );
  console.log(
    `| backfill 30 days, CPU s (process, DuckDB threads included) | ${s('backfill', 'cpuMs')} | hand-written SQL + SQLite write ${s('hand', 'cpuMs')} | ${ratio('backfill', 'hand', 'cpuMs')}x | |`,
  );
  console.log(
    `| backfill 30 days against the same hourly tiles by hand (s; CPU ${s('backfill', 'cpuMs')} vs ${s('hand-tiles', 'cpuMs')}) | ${s('backfill')} | hand-written tiles SQL to Parquet ${s('hand-tiles')} | ${ratio('backfill', 'hand-tiles')}x (CPU ${ratio('backfill', 'hand-tiles', 'cpuMs')}x) | (reference) |`,
  );
  console.log(
    `| incremental day 30 (s; CPU ${s('incremental', 'cpuMs')} vs ${s('backfill', 'cpuMs')}, ${ratio('incremental', 'backfill', 'cpuMs')}) | ${s('incremental')} | full backfill ${s('backfill')} | ${ratio('incremental', 'backfill')} | <= 0.10 |`,
  );
  console.log(
    `| online read, 1 entity x 12 (p50 us) | ${s('online', 'p50Us')} | 12 precomputed values ${s('online-plain', 'p50Us')} | ${ratio('online', 'online-plain', 'p50Us')}x | <= 2x |`,
  );
  console.log(
    `| online read after the incremental run (base + recent rows; p50 us) | ${s('online-recent', 'p50Us')} | 12 precomputed values ${s('online-plain-recent', 'p50Us')} | ${ratio('online-recent', 'online-plain-recent', 'p50Us')}x | <= 2x |`,
  );
  console.log(
    `| historical, ${S.entityRows.toLocaleString()} entity rows (s; CPU ${s('historical', 'cpuMs')} vs ${s('pit', 'cpuMs')} s, ${ratio('historical', 'pit', 'cpuMs')}x) | ${s('historical')} | PIT join of per-event precomputed rows ${s('pit')} | ${ratio('historical', 'pit')}x | <= 1.5x |`,
  );
}
