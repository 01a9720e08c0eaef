import { describe, expect, it } from 'vitest';
import { evaluateTiles, planTiles, type TileProgress } from '@frec/core/spi';
import { pullTiles } from '../../src/duckdb/duckdb-aggregations.js';
import { inspectEvents } from '../../src/duckdb/duckdb-tiles.js';
import type { DuckDBOfflineStore } from '../../src/index.js';
import { aggRepo, BASE, definitions, generateEvents, HOUR } from './agg-fixture.js';

const DAY = 24 * HOUR;

describe('aggregation views: tiling statements', () => {
  it('tiles many statements of a few days and one statement of the whole range to the same rows, with progress by day either way', async () => {
    const { contents, view } = definitions();
    await using repo = await aggRepo(contents);
    // 9 days of 5 users (~540 events): the windows (at most 2 days) are shorter than the range, so both ways prune.
    await repo.writeEvents('part0', generateEvents(11, 5, 9));
    await repo.store.apply(contents, { validateSources: true });
    const spec = view();
    const plan = planTiles(spec);
    const offline = (await repo.store.offlineStore()) as DuckDBOfflineStore;
    const conn = await offline.connect();
    try {
      const shape = await inspectEvents(conn, spec, repo.dir);
      const run = async (chunkEvents: number | undefined, end: number) => {
        const days: TileProgress[] = [];
        const rows = new Map<string, string>();
        for await (const b of pullTiles(conn, spec, shape, new Date(0), new Date(end), {
          table: `__frec_tiles_test_${chunkEvents ?? 0}`,
          batchSize: 2,
          onProgress: (p) => days.push(p),
          ...(chunkEvents === undefined ? {} : { chunkEvents }),
        })) {
          // Values, not bytes: the order of a tile's distinct values is DuckDB's, which varies between runs.
          b.keys.forEach((k, i) => {
            const st = b.states[i]!;
            const at = [0, 1, 7, 30, 49].map((h) => st.maxT! + h * HOUR);
            rows.set(JSON.stringify(k), JSON.stringify([st.t, at.map((t) => evaluateTiles(plan, st, t))]));
          });
        }
        return { days, rows };
      };
      for (const end of [BASE + 10 * DAY, BASE + 5 * DAY + 7 * HOUR]) {
        // ~60 events a day: 100 events a statement is one day each; the default is one statement.
        const chunked = await run(100, end);
        const whole = await run(undefined, end);
        expect(whole.rows.size).toBe(5);
        expect(chunked.rows).toEqual(whole.rows);
        const dates = (d: TileProgress[]) => d.map((p) => `${p.day} ${p.done}/${p.total}`);
        expect(dates(chunked.days)).toEqual(dates(whole.days));
        const span = Math.ceil((end - BASE) / DAY);
        expect(whole.days.length).toBeGreaterThanOrEqual(span - 1);
        expect(whole.days.at(-1)!.done).toBe(whole.days.at(-1)!.total);
      }
    } finally {
      conn.closeSync();
    }
  });
});
