import path from 'node:path';
import { queryRows, sqlString, withDuckDb } from './duckdb-session.js';

/** All interactions in time order, as parallel typed arrays with dense user and item indexes. */
export interface Interactions {
  n: number;
  /** Dense user index of each event. */
  user: Int32Array;
  /** Dense item index of each event (into the full catalog). */
  item: Int32Array;
  rating: Float32Array;
  /** Event time, epoch milliseconds. */
  timeMs: Float64Array;
  /** Raw MovieLens ids by dense index. */
  userIds: number[];
  itemIds: number[];
  itemTitles: string[];
}

/** Reads interactions.parquet and items.parquet from a feature repo's data folder. */
export async function readInteractions(dataDir: string): Promise<Interactions> {
  return withDuckDb(async (conn) => {
    const items = await queryRows(conn, `SELECT item_id, coalesce(title, '') AS title FROM read_parquet(${sqlString(path.join(dataDir, 'items.parquet'))}) ORDER BY item_id`);
    const rows = await queryRows(conn, `SELECT user_id, item_id, rating, epoch_ms(event_timestamp) AS t
      FROM read_parquet(${sqlString(path.join(dataDir, 'interactions.parquet'))}) ORDER BY t, user_id, item_id`);
    const itemIds = items.map((r) => r.item_id as number);
    const itemIx = new Map(itemIds.map((id, i) => [id, i]));
    const userIds = [...new Set(rows.map((r) => r.user_id as number))].sort((a, b) => a - b);
    const userIx = new Map(userIds.map((id, i) => [id, i]));
    const n = rows.length;
    const out: Interactions = {
      n,
      user: new Int32Array(n),
      item: new Int32Array(n),
      rating: new Float32Array(n),
      timeMs: new Float64Array(n),
      userIds,
      itemIds,
      itemTitles: items.map((r) => r.title as string),
    };
    rows.forEach((r, i) => {
      out.user[i] = userIx.get(r.user_id as number)!;
      out.item[i] = itemIx.get(r.item_id as number)!;
      out.rating[i] = r.rating as number;
      out.timeMs[i] = r.t as number;
    });
    return out;
  });
}
