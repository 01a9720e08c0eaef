import { describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { compilePointInTimeJoin, type PointInTimeJoin, type TieBreakStrategy } from './point-in-time-join.js';

/** Runs a compiled join over inline VALUES relations: the spec's cases, without files. */
async function run(join: PointInTimeJoin): Promise<unknown[]> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    return (await c.runAndReadAll(compilePointInTimeJoin(join))).getRows().map((r) => r[2] ?? null);
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

const entity = (rows: string) => ({ from: `(SELECT * FROM (VALUES ${rows}) v(k, ts, __frec_row))`, columns: ['k', 'ts'], time: '"ts"' });
const view = (rows: string, ttlSeconds: number, created: boolean) => ({
  name: 'v',
  from: `(SELECT * FROM (VALUES ${rows}) v(k, ts, created, x))`,
  keys: [{ entity: '"k"', source: '"k"' }],
  eventTime: '"ts"',
  createdTime: created ? '"created"' : undefined,
  ttlSeconds,
  features: [{ source: '"x"', as: 'x' }],
});
const T = (s: string) => `TIMESTAMP '2024-01-01 ${s}'`;

describe('compilePointInTimeJoin', () => {
  for (const tieBreak of ['asof-struct', 'dedupe'] as TieBreakStrategy[]) {
    it(`${tieBreak}: latest at or before, later created wins a tie, TTL boundary kept, order kept`, async () => {
      const rows = await run({
        tieBreak,
        entity: entity(`(1, ${T('10:00')}, 3), (1, ${T('09:00')}, 0), (1, ${T('12:00')}, 1), (2, ${T('10:00')}, 2)`),
        views: [
          view(
            `(1, ${T('10:00')}, ${T('10:01')}, 'late'), (1, ${T('10:00')}, ${T('10:00')}, 'early'), (1, ${T('10:00')}, NULL, 'none'), (2, ${T('07:59')}, NULL, 'old')`,
            7200,
            true,
          ),
        ],
      });
      // Ordered by __frec_row: 09:00 (nothing yet), 12:00 (exactly TTL old), 10:00 for key 2 (older than TTL), 10:00 (tie).
      expect(rows).toEqual([null, 'late', null, 'late']);
    });
  }

  it('emits no struct and no created column when the source has no created time', () => {
    const sql = compilePointInTimeJoin({
      entity: entity(`(1, ${T('10:00')}, 0)`),
      views: [view(`(1, ${T('10:00')}, NULL, 'a')`, 0, false)],
    });
    expect(sql).not.toContain("'infinity'");
    expect(sql).toContain('e."ts" >= __frec_v0.__frec_ts');
  });
});
