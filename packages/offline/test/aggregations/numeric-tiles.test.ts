import { describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { aggregationFeatureView, entity, fileSource } from '@frec/core';
import { decodeTileRow, encodeTileRow, evaluateTiles, planTiles, type TileState } from '@frec/core/spi';
import { describe as describeRelation } from '../../src/duckdb/duckdb-connection.js';
import { compileEvents, compileTiles, fileTiming, streamTileStates, type EventShape } from '../../src/duckdb/duckdb-tiles.js';

const HOUR = 3_600_000;
const BASE = Date.UTC(2026, 0, 5);

describe('aggregation views: the backfill reads numeric tiles columnar', () => {
  it('gives the same entities, rows and values as the general path, across chunks, batches, buffer growth, pruning and a null key', async () => {
    const user = entity({ name: 'user', joinKey: 'user_id', valueType: 'int64' });
    const events = fileSource({ name: 'events', path: 'unused/*.parquet', timestampField: 'ts' });
    const view = aggregationFeatureView({
      name: 'user_num',
      entities: [user],
      source: events,
      tileSize: '1h',
      aggregations: [
        { function: 'count', windows: ['1d', '7d'] },
        { column: 'rating', function: 'sum', windows: ['1d'] },
        { column: 'rating', function: 'mean', windows: ['7d'] },
        { column: 'rating', function: 'min', windows: ['1d'] },
        { column: 'rating', function: 'max', windows: ['7d'] },
        { name: 'liked', function: 'count', filter: 'rating >= 4', windows: ['1d'] },
      ],
    }).spec;
    const plan = planTiles(view);
    const db = await DuckDBInstance.create(':memory:', { threads: '2' });
    const conn = await db.connect();
    try {
      await conn.run(`SET TimeZone = 'UTC'`);
      // 20 days of ~one event an hour for 400 users (~124k tiles: more than a batch buffer of 65,536 rows),
      // keys up to 2^40 (both 32-bit words differ), null ratings, and a few events with no user.
      await conn.run(`CREATE TABLE ev AS SELECT
          CASE WHEN i % 997 = 0 THEN NULL ELSE ((hash(i * 7) % 400) * 2748779069 + 1)::BIGINT END AS user_id,
          make_timestamp((${BASE} + (hash(i * 13) % ${20 * 24 * HOUR}))::BIGINT * 1000) AS ts,
          CASE WHEN i % 11 = 0 THEN NULL ELSE (hash(i * 3) % 11) / 2.0 END AS rating
        FROM range(200000) r(i)`);
      const shape: EventShape = { from: 'ev', columns: await describeRelation(conn, 'ev'), glob: 'ev', empty: false };
      // Ordered, not pruned in SQL: the 20 days exceed the 7-day window, so the pruning is the reader's.
      const sql = compileTiles(view, compileEvents(view, shape, fileTiming(view, shape)));
      const counted = (await (await conn.runAndReadAll(`SELECT count(*)::INTEGER AS n FROM (${sql})`)).getRowObjectsJS()) as Array<{
        n: number;
      }>;
      const n = counted[0]!.n;
      expect(n).toBeGreaterThan(100_000);
      for (const batchSize of [37, Number.MAX_SAFE_INTEGER]) {
        const read = async (readOnly: boolean) => {
          const keys: unknown[] = [];
          const rows: Uint8Array[] = [];
          const states: TileState[] = [];
          let batches = 0;
          for await (const b of streamTileStates(conn, view, sql, batchSize, { prune: true, readOnly })) {
            batches++;
            expect(b.keys.length).toBeLessThanOrEqual(batchSize);
            b.keys.forEach((k, i) => {
              keys.push(k);
              rows.push(encodeTileRow(plan, b.states[i]!));
              states.push(b.states[i]!);
            });
          }
          return { keys, rows, batches, states };
        };
        const general = await read(false);
        const columnar = await read(true);
        expect(general.keys.length).toBe(401);
        expect(general.keys).toContainEqual([null]);
        expect(columnar.keys).toEqual(general.keys);
        expect(columnar.batches).toBe(general.batches);
        // Pruned to the 7-day window of each entity's newest tile: 20 days of hours would be ~480 tiles.
        expect(Math.max(...general.states.map((s) => s.t.length))).toBeLessThanOrEqual(7 * 24 + 1);
        for (let i = 0; i < general.rows.length; i++) {
          expect(Buffer.from(columnar.rows[i]!).equals(Buffer.from(general.rows[i]!))).toBe(true);
          const maxT = general.states[i]!.maxT!;
          expect(columnar.states[i]!.maxT).toBe(maxT);
          for (const at of [maxT, maxT + 5 * HOUR, maxT + 3 * 24 * HOUR])
            expect(evaluateTiles(plan, decodeTileRow(plan, columnar.rows[i]!), at)).toEqual(evaluateTiles(plan, general.states[i]!, at));
        }
      }
    } finally {
      conn.closeSync();
      db.closeSync();
    }
  });
});
