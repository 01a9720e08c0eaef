import { seededRandom } from '@frec/core/spi';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIGINT, DOUBLE, TIMESTAMP, TIMESTAMPTZ, VARCHAR, type DuckDBType } from '@duckdb/node-api';
import { entity, featureView, field, fileSource, Float64, Int64, String as Str, type FeatureViewSpec } from '@frec/core';
import { createTableFromColumns } from '../src/duckdb/duckdb-connection.js';
import { registryOf, requestOf, tempRepo } from './helpers.js';

const rng = seededRandom;

const BASE = Date.UTC(2024, 0, 1);
const MIN = 60_000;

interface FeatureRow {
  keys: Array<number | string>;
  ts: number;
  created: number | null;
  values: Array<number | null>;
}

interface ViewCase {
  name: string;
  keyNames: string[];
  ttlMin: number;
  hasCreated: boolean;
  nFeatures: number;
  rows: FeatureRow[];
}

/**
 * The reference: for one entity row and one view, every source row the join may return
 * (several only when rows tie on both event and created time), written without SQL.
 */
function acceptable(view: ViewCase, keys: Array<number | string>, ts: number): FeatureRow[] | null {
  const cands = view.rows.filter(
    (r) => r.keys.every((k, i) => k === keys[i]) && r.ts <= ts && (view.ttlMin === 0 || r.ts >= ts - view.ttlMin * MIN),
  );
  if (cands.length === 0) return null;
  const created = (r: FeatureRow) => (view.hasCreated ? (r.created ?? -Infinity) : 0);
  let best = cands[0]!;
  for (const r of cands) if (r.ts > best.ts || (r.ts === best.ts && created(r) > created(best))) best = r;
  return cands.filter((r) => r.ts === best.ts && created(r) === created(best));
}

/** Generates one batch of independent cases: each case owns a disjoint range of keys. */
function generate(seed: number, cases: number) {
  const rand = rng(seed);
  const int = (n: number) => Math.floor(rand() * n);
  const ttl = [0, 1, 3, 5, 10][int(5)]!;
  const views: ViewCase[] = [
    { name: 'by_user', keyNames: ['user_id'], ttlMin: ttl, hasCreated: true, nFeatures: 2, rows: [] },
    { name: 'by_user_item', keyNames: ['user_id', 'item_id'], ttlMin: [0, 2, 4][int(3)]!, hasCreated: true, nFeatures: 1, rows: [] },
    { name: 'by_item', keyNames: ['item_id'], ttlMin: [0, 6][int(2)]!, hasCreated: false, nFeatures: 1, rows: [] },
  ];
  const entities: Array<{ user_id: number | null; item_id: string; event_timestamp: Date; label: number }> = [];
  for (let c = 0; c < cases; c++) {
    const users = [c * 10, c * 10 + 1, c * 10 + 2];
    const items = [`c${c}a`, `c${c}b`];
    const time = () => BASE + int(20) * MIN; // a coarse grid: ties on event time are frequent
    for (const v of views) {
      const n = int(8);
      for (let i = 0; i < n; i++) {
        const keys = v.keyNames.map((k) => (k === 'user_id' ? users[int(3)]! : items[int(2)]!));
        const ts = time();
        const created = v.hasCreated ? (rand() < 0.15 ? null : ts + int(4) * 1000) : null;
        const values = Array.from({ length: v.nFeatures }, () => (rand() < 0.1 ? null : int(1000)));
        v.rows.push({ keys, ts, created, values });
      }
    }
    const ne = 1 + int(6);
    for (let i = 0; i < ne; i++) {
      const row = {
        user_id: rand() < 0.05 ? null : users[int(3)]!,
        item_id: items[int(2)]!,
        event_timestamp: new Date(time()),
        label: entities.length,
      };
      entities.push(row);
      if (rand() < 0.1) entities.push({ ...row, label: entities.length }); // a duplicate entity row
    }
  }
  return { views, entities };
}

async function writeView(conn: Parameters<typeof createTableFromColumns>[0], dir: string, v: ViewCase, tz: boolean): Promise<string> {
  const cols: Array<{ name: string; type: DuckDBType; values: unknown[] }> = v.keyNames.map((k, i) => ({
    name: k,
    type: k === 'user_id' ? BIGINT : VARCHAR,
    values: v.rows.map((r) => r.keys[i]),
  }));
  cols.push({ name: 'event_ts', type: tz ? TIMESTAMPTZ : TIMESTAMP, values: v.rows.map((r) => new Date(r.ts)) });
  if (v.hasCreated)
    cols.push({ name: 'created_ts', type: TIMESTAMP, values: v.rows.map((r) => (r.created === null ? null : new Date(r.created))) });
  for (let f = 0; f < v.nFeatures; f++) cols.push({ name: `${v.name}_f${f}`, type: DOUBLE, values: v.rows.map((r) => r.values[f]) });
  await createTableFromColumns(conn, v.name, cols, v.rows.length);
  const file = path.join(dir, `${v.name}.parquet`);
  await conn.run(`COPY ${v.name} TO '${file}' (FORMAT parquet)`);
  return file;
}

describe('point-in-time join: randomized property test against a brute-force reference', () => {
  const user = entity({ name: 'user', joinKey: 'user_id', valueType: Int64 });
  const item = entity({ name: 'item', joinKey: 'item_id', valueType: Str });

  for (const [batch, seed] of [11, 23, 37, 41, 53, 67].entries()) {
    // Both tie-break strategies (ADR 0010) must give the reference's rows.
    const strategy = batch % 2 === 0 ? 'asof-struct' : 'dedupe';
    it(`batch ${batch} (seed ${seed}, ${strategy}): 600 cases agree with the reference`, async () => {
      await using repo = await tempRepo();
      repo.store.tieBreak = strategy;
      const { views, entities } = generate(seed, 600);
      const conn = await repo.store.connect();
      const specs: FeatureViewSpec[] = [];
      for (const [i, v] of views.entries()) {
        await writeView(conn, repo.dir, v, i === 2);
        const src = fileSource({
          name: `${v.name}_src`,
          path: `${v.name}.parquet`,
          timestampField: 'event_ts',
          ...(v.hasCreated ? { createdTimestampColumn: 'created_ts' } : {}),
        });
        const ents = v.keyNames.map((k) => (k === 'user_id' ? user : item));
        specs.push(
          featureView({
            name: v.name,
            entities: ents,
            source: src,
            ttl: v.ttlMin * 60,
            schema: Array.from({ length: v.nFeatures }, (_, f) => field(`${v.name}_f${f}`, Float64)),
          }).spec,
        );
      }
      conn.closeSync();

      const features = views.flatMap((v) => Array.from({ length: v.nFeatures }, (_, f) => `${v.name}:${v.name}_f${f}`));
      const job = await repo.store.getHistoricalFeatures(requestOf(registryOf(specs), { features }, entities));
      const rows = await job.toRows();

      expect(rows.length).toBe(entities.length);
      let matched = 0;
      rows.forEach((row, i) => {
        const e = entities[i]!;
        expect(row.label).toBe(e.label);
        expect(row.user_id).toBe(e.user_id);
        expect((row.event_timestamp as Date).getTime()).toBe(e.event_timestamp.getTime());
        for (const v of views) {
          const keys = v.keyNames.map((k) => (k === 'user_id' ? e.user_id : e.item_id));
          const want = keys.includes(null as never) ? null : acceptable(v, keys as Array<number | string>, e.event_timestamp.getTime());
          const got = Array.from({ length: v.nFeatures }, (_, f) => row[`${v.name}_f${f}`]);
          if (want === null) expect(got, `row ${i} view ${v.name}: no row at or before, within TTL`).toEqual(got.map(() => null));
          else {
            matched++;
            expect(
              want.some((w) => w.values.every((x, f) => x === got[f])),
              `row ${i} view ${v.name}: got ${JSON.stringify(got)}, want one of ${JSON.stringify(want.map((w) => w.values))}`,
            ).toBe(true);
          }
        }
      });
      // The generator must exercise both outcomes, or the test proves little.
      expect(matched).toBeGreaterThan(rows.length / 3);
      expect(matched).toBeLessThan(rows.length * views.length);
      await job.close();
    });
  }
});
