/**
 * Online read cost of the tile design against recompute-on-read (ADR 0098): one entity's 12 windowed
 * aggregates (count, sum, mean, max x 1d, 7d, 30d) from its tiles row (decode + merge) and from its
 * raw events of the last 30 days (parse + scan), for 100, 3,000 and 30,000 events per 30 days.
 * In-process, no store: the difference is the representation alone.
 *
 *   npx tsx bench/aggregations/read-cost.ts
 */
import { aggregationFeatureView, entity, fileSource } from '@frec/core';
import { emptyTiles, encodeTileRow, decodeTileRow, evaluateTiles, foldEvent, planTiles, pruneTiles } from '@frec/core/spi';
const user = entity({ name: 'user', joinKey: 'user_id', valueType: 'int64' });
const v = aggregationFeatureView({
  name: 'v',
  entities: [user],
  source: fileSource({ name: 'e', path: 'e.parquet', timestampField: 'ts' }),
  tileSize: '1h',
  aggregations: [
    { function: 'count', windows: ['1d', '7d', '30d'] },
    { column: 'r', function: 'sum', windows: ['1d', '7d', '30d'] },
    { column: 'r', function: 'mean', windows: ['1d', '7d', '30d'] },
    { column: 'r', function: 'max', windows: ['1d', '7d', '30d'] },
  ],
});
const plan = planTiles(v.spec);
const D = 86400000,
  T0 = Date.UTC(2026, 0, 1);
for (const n of [100, 3000, 30000]) {
  const st = emptyTiles(plan);
  const raw: Array<[number, number]> = [];
  for (let i = 0; i < n; i++) {
    const t = T0 + Math.floor((i * 30 * D) / n);
    const r = (i % 11) / 2;
    foldEvent(plan, st, t, [1, r, r]);
    raw.push([t, r]);
  }
  pruneTiles(plan, st);
  const row = encodeTileRow(plan, st);
  const rawJson = JSON.stringify(raw);
  const at = T0 + 30 * D;
  const reps = n > 10000 ? 300 : 2000;
  let a = performance.now();
  for (let i = 0; i < reps; i++) evaluateTiles(plan, decodeTileRow(plan, row), at);
  const tiles = ((performance.now() - a) / reps) * 1000;
  a = performance.now();
  for (let i = 0; i < reps; i++) {
    const ev = JSON.parse(rawJson) as Array<[number, number]>;
    for (const w of [D, 7 * D, 30 * D]) {
      const lo = Math.floor(at / 3600000) * 3600000 - w;
      let c = 0,
        s = 0,
        m = -Infinity;
      for (const [t, r] of ev)
        if (t >= lo && t <= at) {
          c++;
          s += r;
          if (r > m) m = r;
        }
      void [c, s, s / c, m];
    }
  }
  const rec = ((performance.now() - a) / reps) * 1000;
  console.log(
    JSON.stringify({
      events: n,
      tiles: st.t.length,
      tileRowBytes: row.length,
      rawBytes: rawJson.length,
      tilesUs: +tiles.toFixed(1),
      recomputeUs: +rec.toFixed(1),
    }),
  );
}
