/**
 * Where an aggregation view's online read spends its time (ADR 0098, docs/profiles/aggregation-reads.md):
 * the SQLite lookups, the decode of the base and recent rows, the evaluation of the 12 windows, against
 * the whole getOnlineFeatures and a plain view's read, in one process, alternating. Reads the database and
 * registry the aggregations bench's `incremental` variant leaves (run it first with the same --root).
 *
 *   npx tsx bench/aggregations/online-read-parts.ts --root /tmp/frec-bench-agg-0.1
 */
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { FeatureStore, loadRepoConfig } from '@frec/core';
import { planTiles, evaluateFeatureOver, tileStorageSpec, recentStorageSpec, TILES_COLUMN } from '@frec/core/spi';
import { readTileRows } from '../../packages/core/src/aggregations/recent-row.js';
import { benchViews, FEATURES } from './bench-views.js';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt;
}
const root = arg('root', path.join(os.tmpdir(), 'frec-bench-agg-0.1'));
const END = Date.UTC(2026, 0, 1) + 30 * 86_400_000;
const { agg, contents } = benchViews();

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const N = Number(arg('n', '20000'));
const ENT = 10_000;

// Raw parts, on the database directly.
const db = new Database(path.join(root, 'data', 'incremental.db'), { readonly: true });
const one = db.prepare('SELECT row FROM frec_online_rows WHERE project = ? AND view = ? AND entity_key = ?').pluck();
const pair = db
  .prepare(
    `SELECT (SELECT row FROM frec_online_rows WHERE project = ? AND view = ? AND entity_key = ?),
            (SELECT row FROM frec_online_rows WHERE project = ? AND view = ? AND entity_key = ?)`,
  )
  .raw();
const keys = db.prepare(`SELECT entity_key FROM frec_online_rows WHERE view = 'user_agg' LIMIT ${ENT}`).pluck().all() as string[];
const store = await FeatureStore.open({ config: loadRepoConfig(root), definitions: contents, plugins: ['@frec/online', '@frec/offline'] });

const plan = planTiles(agg.spec);
const feats = FEATURES.map((n) => plan.features[plan.byName.get(n)!]!);
const online = await store.onlineStore();
const baseSpec = tileStorageSpec(agg.spec);
const recentSpec = recentStorageSpec(agg.spec);
const storeRead = (u: number) => {
  const ks = [[u]];
  return online.readColumnsManyNow!('bench', [
    { view: baseSpec, keys: ks, features: [TILES_COLUMN] },
    { view: recentSpec, keys: ks, features: [TILES_COLUMN] },
  ]) as Array<{ values: unknown[][] }>;
};
const rows = Array.from({ length: ENT }, (_, u) => {
  const r = storeRead(u);
  return [r[0]!.values[0]![0], r[1]!.values[0]![0]] as [Uint8Array, Uint8Array];
});
const t: Record<string, number[]> = { one: [], pair: [], storeRead: [], decode: [], evaluate: [], agg: [], plain: [] };
let sink = 0;
for (let i = 0; i < N; i++) {
  const k = keys[(i * 7919) % keys.length]!;
  const u = (i * 7919) % ENT;
  const [b, r] = rows[u]!;
  let a = performance.now();
  one.get('bench', 'user_agg', k);
  t.one!.push(performance.now() - a);
  a = performance.now();
  pair.get('bench', 'user_agg', k, 'bench', 'user_agg#recent', k);
  t.pair!.push(performance.now() - a);
  a = performance.now();
  storeRead(u);
  t.storeRead!.push(performance.now() - a);
  a = performance.now();
  const st = readTileRows(plan, b, r)!;
  t.decode!.push(performance.now() - a);
  a = performance.now();
  for (const f of feats) sink += Number(evaluateFeatureOver(plan, st.st, st.more, st.from, f, END) ?? 0);
  t.evaluate!.push(performance.now() - a);
  a = performance.now();
  await store.getOnlineFeatures({ features: FEATURES.map((f) => `user_agg:${f}`), entityRows: [{ user_id: u }], requestTime: END });
  t.agg!.push(performance.now() - a);
  a = performance.now();
  await store.getOnlineFeatures({ features: FEATURES.map((f) => `user_pre:${f}`), entityRows: [{ user_id: u }] });
  t.plain!.push(performance.now() - a);
}
const out = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, +(median(v.slice(N / 5)) * 1000).toFixed(2)]));
console.log(
  JSON.stringify({
    load: os.loadavg()[0],
    us: out,
    ratio: +(out.agg! / out.plain!).toFixed(2),
    rowBytes: [rows[0]![0]?.length, rows[0]![1]?.length],
    sink: sink > 0,
  }),
);
await store.close();
db.close();
