/**
 * Runs one variant of the point-in-time benchmark in its own process (so peak RSS is its own)
 * and prints one JSON line: { variant, wallMs, cpuMs, maxRssMB, rows }.
 * Usage: tsx bench/offline/pit-variant.ts <variant> <dataDir> <outDir> [memoryLimit]
 */
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { entity, featureView, field, fileSource, Float64, Int64 } from '@frec/core';
import { emptyRegistry, resolveFeatures, type HistoricalRequest } from '@frec/core/spi';
import { DuckDBOfflineStore } from '@frec/offline';
import { VIEWS } from './pit-data.js';

const [variant = 'frec', dir = '', outDir = '', memoryLimit = '8GB'] = process.argv.slice(2);
const out = path.join(outDir, `${variant}.parquet`);
const spill = path.join(outDir, 'spill');
const feats = (v: string) => [`${v}_a`, `${v}_b`, `${v}_c`];

/** The hand-written query: dedupe ties with a window, ASOF JOIN each view, TTL by CASE, entity order by row number. */
function handWritten(order: boolean, tieBreak: 'window' | 'struct'): string {
  const ctes = VIEWS.map((v) => {
    const base = `SELECT user_id, ts, created, ${feats(v.name).join(', ')} FROM read_parquet('${path.join(dir, `${v.name}.parquet`)}')`;
    return tieBreak === 'window'
      ? `${v.name} AS (${base} QUALIFY row_number() OVER (PARTITION BY user_id, ts ORDER BY created DESC) = 1)`
      : `${v.name} AS (${base})`;
  });
  const cols = VIEWS.flatMap((v) =>
    feats(v.name).map((f) =>
      v.ttlSeconds > 0
        ? `CASE WHEN ${v.name}.ts >= e.event_timestamp - INTERVAL ${v.ttlSeconds} SECOND THEN ${v.name}.${f} END AS ${f}`
        : `${v.name}.${f}`,
    ),
  );
  const joins = VIEWS.map((v) =>
    tieBreak === 'window'
      ? `ASOF LEFT JOIN ${v.name} ON e.user_id = ${v.name}.user_id AND e.event_timestamp >= ${v.name}.ts`
      : `ASOF LEFT JOIN ${v.name} ON e.user_id = ${v.name}.user_id AND {'t': e.event_timestamp, 'c': 'infinity'::TIMESTAMP} >= {'t': ${v.name}.ts, 'c': ${v.name}.created}`,
  );
  return `WITH e AS (SELECT *, row_number() OVER () AS rn FROM read_parquet('${path.join(dir, 'entities.parquet')}')), ${ctes.join(', ')}
    SELECT e.user_id, e.event_timestamp, e.label, ${cols.join(', ')} FROM e ${joins.join(' ')} ${order ? 'ORDER BY e.rn' : ''}`;
}

/** Feast's pre-ASOF strategy: join every feature row at or before the entity time within TTL, keep the latest per entity row. */
function rangeJoinWindow(): string {
  const parts = VIEWS.map((v) => {
    const ttl = v.ttlSeconds > 0 ? ` AND f.ts >= e.event_timestamp - INTERVAL ${v.ttlSeconds} SECOND` : '';
    return `${v.name} AS (SELECT e.rn, ${feats(v.name)
      .map((f) => `f.${f}`)
      .join(', ')} FROM e JOIN read_parquet('${path.join(dir, `${v.name}.parquet`)}') f
      ON e.user_id = f.user_id AND f.ts <= e.event_timestamp${ttl}
      QUALIFY row_number() OVER (PARTITION BY e.rn ORDER BY f.ts DESC, f.created DESC) = 1)`;
  });
  return `WITH e AS (SELECT *, row_number() OVER () AS rn FROM read_parquet('${path.join(dir, 'entities.parquet')}')), ${parts.join(', ')}
    SELECT e.user_id, e.event_timestamp, e.label, ${VIEWS.flatMap((v) => feats(v.name).map((f) => `${v.name}.${f}`)).join(', ')}
    FROM e ${VIEWS.map((v) => `LEFT JOIN ${v.name} USING (rn)`).join(' ')} ORDER BY e.rn`;
}

async function runSql(sql: string): Promise<void> {
  const db = await DuckDBInstance.create(':memory:', { threads: '2', memory_limit: memoryLimit, temp_directory: spill });
  const c = await db.connect();
  await c.run(`COPY (${sql}) TO '${out}' (FORMAT parquet)`);
  c.closeSync();
  db.closeSync();
}

function request(): HistoricalRequest {
  const user = entity({ name: 'user', joinKey: 'user_id', valueType: Int64 });
  const data = emptyRegistry('bench');
  for (const v of VIEWS) {
    const src = fileSource({
      name: `${v.name}_src`,
      path: path.join(dir, `${v.name}.parquet`),
      timestampField: 'ts',
      createdTimestampColumn: 'created',
    });
    const spec = featureView({
      name: v.name,
      entities: [user],
      source: src,
      ttl: v.ttlSeconds,
      schema: [field(`${v.name}_a`, Float64), field(`${v.name}_b`, Int64), field(`${v.name}_c`, Float64)],
    }).spec;
    data.featureViews[v.name] = { spec, createdAt: '', updatedAt: '', version: 1 };
  }
  const resolved = resolveFeatures(data, { features: VIEWS.flatMap((v) => feats(v.name).map((f) => `${v.name}:${f}`)) });
  return {
    entities: { parquet: path.join(dir, 'entities.parquet') },
    resolved,
    fullFeatureNames: false,
    timestampColumn: 'event_timestamp',
    transforms: new Map(),
    odfvSpecs: new Map(),
  };
}

async function runFrec(tieBreak: 'asof-struct' | 'dedupe', reader: 'parquet' | 'arrow'): Promise<number> {
  const store = await DuckDBOfflineStore.create({ repoPath: dir, tempDirectory: spill, memoryLimit, threads: 2 });
  store.tieBreak = tieBreak;
  const job = await store.getHistoricalFeatures(request());
  let rows = 0;
  if (reader === 'parquet') await job.toParquet(out);
  else for await (const b of job.toArrowBatches()) rows += b.numRows;
  await store.close();
  return rows;
}

async function runSqlToJs(sql: string): Promise<number> {
  // The same query streamed into JS values chunk by chunk: the floor for any Arrow-producing reader.
  const db = await DuckDBInstance.create(':memory:', { threads: '2', memory_limit: memoryLimit, temp_directory: spill });
  const c = await db.connect();
  const { JSDuckDBValueConverter } = await import('@duckdb/node-api');
  const r = await c.stream(sql);
  let rows = 0;
  for (;;) {
    const chunk = await r.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    chunk.convertColumns(JSDuckDBValueConverter);
    rows += chunk.rowCount;
  }
  c.closeSync();
  db.closeSync();
  return rows;
}

const t0 = performance.now();
const cpu0 = process.cpuUsage();
let rows = 0;
switch (variant) {
  case 'frec':
    await runFrec('asof-struct', 'parquet');
    break;
  case 'frec-dedupe':
    await runFrec('dedupe', 'parquet');
    break;
  case 'frec-arrow':
    rows = await runFrec('asof-struct', 'arrow');
    break;
  case 'hand':
    await runSql(handWritten(true, 'window'));
    break;
  case 'hand-unordered':
    await runSql(handWritten(false, 'window'));
    break;
  case 'hand-struct':
    await runSql(handWritten(true, 'struct'));
    break;
  case 'hand-js':
    rows = await runSqlToJs(handWritten(true, 'window'));
    break;
  case 'range-window':
    await runSql(rangeJoinWindow());
    break;
  default:
    throw new Error(`unknown variant ${variant}`);
}
const wallMs = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
// CPU time (all threads) is reported next to wall time: on a shared 2-core machine it is the steadier figure.
console.log(
  JSON.stringify({
    variant,
    wallMs: Math.round(wallMs),
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    rows,
  }),
);
