import type { DuckDBConnection, DuckDBMaterializedResult } from '@duckdb/node-api';
import { coerceScalar, type FeatureValue, type TileFeature, type TilePlan } from '@frec/core/spi';

/**
 * The historical fold of an aggregation view whose requested features are all count, sum, mean, min
 * or max (ADR 0098, third addendum). The general path (duckdb-historical-aggregates.ts) has DuckDB
 * sort the events and query points of every entity by time and streams them out chunk by chunk; its
 * profile was a third sort, a third streaming, a third fold. Here DuckDB only materializes the same
 * union unsorted (its parallel part), JS reads the chunks synchronously into typed arrays, orders them
 * by entity (a counting sort on the dense ordinal) and each entity's rows by time (a native sort of
 * packed numbers), and folds them into per-tile arrays with the window rule of `evaluateFeatureOver`:
 * tiles starting in [floor_tile(t) - W, t], the head tile holding the events at or before t. The
 * sums run over the same tile partials in the same order as the general path's, so the values are
 * the same numbers.
 */

/** One requested feature, as the fold computes it. */
interface NumericFeature {
  f: TileFeature;
  /** Index of the (slot, window) scan whose result it finishes. */
  scan: number;
}

/** One (slot, window) scan over the tiles: its sums serve every feature of that slot and window (sum and mean). */
interface Scan {
  slot: number;
  windowMs: number;
}

/** The slots a numeric fold keeps and how it reads their inputs. */
export interface NumericFoldPlan {
  /** Per folded slot: its kind and its input column in the union (-1: every row counts, a count of rows). */
  slots: Array<{ kind: 'count' | 'sum' | 'min' | 'max'; input: number }>;
  /** Per requested feature, the folded slot it reads. */
  slotOf: number[];
}

/** Rows of one union statement a fold holds at once (about 70 bytes a row in JS and DuckDB); more are folded an entity range at a time. */
let rowsPerRange = 4_000_000;

/** The rows one union statement may hold (`rowsPerRange`); tests lower it to split a small history into ranges. Returns the previous value. */
export function setRowsPerRange(n: number): number {
  const prev = rowsPerRange;
  rowsPerRange = n;
  return prev;
}

/** The current bound (see setRowsPerRange). */
export function rowsPerRangeNow(): number {
  return rowsPerRange;
}

const NUMERIC = new Set(['count', 'sum', 'mean', 'min', 'max']);
const COUNT = 0;
const SUM = 1;
const MIN = 2;
const MAX = 3;
const KIND = { count: COUNT, sum: SUM, min: MIN, max: MAX } as const;

/** Whether every feature can take the numeric fold. */
export function numericFoldApplies(features: readonly TileFeature[]): boolean {
  return features.every((f) => NUMERIC.has(f.fn));
}

/**
 * Folds one union result (columns: entity ordinal, time, query point or -1, then the numeric inputs as
 * DOUBLE with NaN for "no value") and writes each query point's values through `set`.
 * Returns how many query points it evaluated.
 */
export function foldNumeric(
  plan: TilePlan,
  fold: NumericFoldPlan,
  features: readonly TileFeature[],
  rows: UnionColumns,
  set: (feature: number, q: number, v: FeatureValue) => void,
  /** Per feature, where a float64 value can be written without a call (null marks cleared), when the output allows it. */
  direct: ReadonlyArray<{ x: Float64Array; nulls: Uint8Array } | undefined> = [],
): number {
  const n = rows.n;
  if (n === 0) return 0;
  const parts = rows.parts;
  // Entities: a stable counting sort on the dense ordinal, reading the chunks as DuckDB gave them.
  let eLo = Infinity;
  let eHi = -Infinity;
  for (const part of parts) {
    const E = part.cols[0]!;
    for (let i = 0; i < part.rows; i++) {
      const e = E[i]!;
      if (e < eLo) eLo = e;
      if (e > eHi) eHi = e;
    }
  }
  const ne = eHi - eLo + 1;
  const start = new Int32Array(ne + 1);
  for (const part of parts) {
    const E = part.cols[0]!;
    for (let i = 0; i < part.rows; i++) start[E[i]! - eLo + 1]!++;
  }
  for (let e = 0; e < ne; e++) start[e + 1]! += start[e]!;
  // The rows are scattered into entity order once, so each entity's fold reads contiguous memory.
  const fill = start.slice(0, ne);
  const T = new Float64Array(n);
  const Q = new Float64Array(n);
  const X = Array.from({ length: rows.inputs }, () => new Float64Array(n));
  const nx = X.length;
  for (const part of parts) {
    const [E, pt, pq] = part.cols as [Float64Array, Float64Array, Float64Array];
    for (let i = 0; i < part.rows; i++) {
      const p = fill[E[i]! - eLo]!++;
      T[p] = pt[i]!;
      Q[p] = pq[i]!;
      for (let c = 0; c < nx; c++) X[c]![p] = part.cols[3 + c]![i]!;
    }
  }
  const feats: NumericFeature[] = [];
  const scans: Scan[] = [];
  for (let k = 0; k < features.length; k++) {
    const f = features[k]!;
    const slot = fold.slotOf[k]!;
    let s = scans.findIndex((x) => x.slot === slot && x.windowMs === f.windowMs);
    if (s < 0) s = scans.push({ slot, windowMs: f.windowMs }) - 1;
    feats.push({ f, scan: s });
  }
  const ns = fold.slots.length;
  const tileMs = plan.tileMs;
  let cap = 256;
  let tileT: Float64Array = new Float64Array(cap);
  // Per slot: count, sum, extreme (NaN: none) per tile.
  let tc: Float64Array[] = fold.slots.map(() => new Float64Array(cap));
  let tsum: Float64Array[] = fold.slots.map(() => new Float64Array(cap));
  let tm: Float64Array[] = fold.slots.map(() => new Float64Array(cap));
  const grow = (): void => {
    cap *= 2;
    const g = (a: Float64Array): Float64Array => {
      const b = new Float64Array(cap);
      b.set(a);
      return b;
    };
    tileT = g(tileT);
    tc = tc.map(g);
    tsum = tsum.map(g);
    tm = tm.map(g);
  };
  const scanC = new Float64Array(scans.length);
  const scanS = new Float64Array(scans.length);
  const scanM = new Float64Array(scans.length);
  let keys: Float64Array = new Float64Array(256);
  let orderScratch = new Int32Array(256);
  const slotKind = fold.slots.map((x) => KIND[x.kind]);
  const slotInput = fold.slots.map((x) => x.input);
  let evaluated = 0;

  for (let e = 0; e < ne; e++) {
    const a = start[e]!;
    const b = start[e + 1]!;
    const len = b - a;
    if (len === 0) continue;
    if (keys.length < len) {
      keys = new Float64Array(Math.max(len, keys.length * 2));
      orderScratch = new Int32Array(keys.length);
    }
    const order = timeOrder(T, Q, a, len, keys, orderScratch);
    let nt = 0;
    for (let p = 0; p < len; p++) {
      const i = order === null ? a + p : order[p]!;
      const t = T[i]!;
      const q = Q[i]!;
      if (q < 0) {
        const tile = Math.floor(t / tileMs) * tileMs;
        if (nt === 0 || tileT[nt - 1] !== tile) {
          if (nt === cap) grow();
          tileT[nt] = tile;
          for (let j = 0; j < ns; j++) {
            tc[j]![nt] = 0;
            tsum[j]![nt] = 0;
            tm[j]![nt] = Number.NaN;
          }
          nt++;
        }
        const k = nt - 1;
        for (let j = 0; j < ns; j++) {
          const input = slotInput[j]!;
          if (input < 0) {
            tc[j]![k]!++;
            continue;
          }
          const v = X[input]![i]!;
          // Not finite (NaN is SQL null here): skipped, as foldEvent's numberOf skips it.
          if (v - v !== 0) continue;
          tc[j]![k]!++;
          const kind = slotKind[j]!;
          if (kind === SUM) tsum[j]![k]! += v;
          else if (kind !== COUNT) {
            const m = tm[j]![k]!;
            if (m !== m || (kind === MIN ? v < m : v > m)) tm[j]![k] = v;
          }
        }
      } else {
        // Every folded event is at or before t (ties: events first), so the tiles end at the head.
        const head = Math.floor(t / tileMs) * tileMs;
        for (let s = 0; s < scans.length; s++) {
          const sc = scans[s]!;
          const j = sc.slot;
          const lo = head - sc.windowMs;
          let i0 = 0;
          let hi = nt;
          while (i0 < hi) {
            const mid = (i0 + hi) >>> 1;
            if (tileT[mid]! < lo) i0 = mid + 1;
            else hi = mid;
          }
          const kind = slotKind[j]!;
          const c = tc[j]!;
          let cnt = 0;
          if (kind === COUNT) for (let x = i0; x < nt; x++) cnt += c[x]!;
          else if (kind === SUM) {
            const sm = tsum[j]!;
            let total = 0;
            for (let x = i0; x < nt; x++) {
              cnt += c[x]!;
              total += sm[x]!;
            }
            scanS[s] = total;
          } else {
            const mm = tm[j]!;
            const min = kind === MIN;
            let best = Number.NaN;
            for (let x = i0; x < nt; x++) {
              const v = mm[x]!;
              if (v === v && (best !== best || (min ? v < best : v > best))) best = v;
            }
            scanM[s] = best;
          }
          scanC[s] = cnt;
        }
        for (let k = 0; k < feats.length; k++) {
          const { f, scan } = feats[k]!;
          const target = direct[k];
          let v: number;
          switch (f.fn) {
            case 'count':
              v = scanC[scan]!;
              break;
            case 'sum':
              v = scanS[scan]!;
              break;
            case 'mean':
              v = scanC[scan] === 0 ? Number.NaN : scanS[scan]! / scanC[scan]!;
              break;
            default: {
              v = scanM[scan]!;
              // An extreme the declared type cannot hold (an int64 past 2^53) is null, as evaluateFeature's coercion makes it.
              if (v === v && !target) {
                set(k, q, coerceScalar(f.element, v) ?? null);
                continue;
              }
            }
          }
          // NaN here is "no value" (a mean or extreme of an empty window); a NaN input never reaches a tile.
          if (target) {
            if (v === v) {
              target.x[q] = v;
              target.nulls[q] = 0;
            }
          } else set(k, q, v === v ? v : null);
        }
        evaluated++;
      }
    }
  }
  return evaluated;
}

/**
 * The rows perm[a .. a+len) in (time, events before query points) order: null when already so (the
 * events come out of time-ordered files mostly in order, but the query points follow them), else the
 * row indices sorted. Each row's key is packed with its position into one double and sorted natively
 * when that is exact; otherwise a comparison sort.
 */
function timeOrder(T: Float64Array, Q: Float64Array, a: number, len: number, keys: Float64Array, out: Int32Array): Int32Array | null {
  let sorted = true;
  let tMin = Infinity;
  let tMax = -Infinity;
  let prev = -Infinity;
  for (let i = a; i < a + len; i++) {
    const t = T[i]!;
    if (t < tMin) tMin = t;
    if (t > tMax) tMax = t;
    const k = t * 2 + (Q[i]! < 0 ? 0 : 1);
    if (k < prev) sorted = false;
    prev = k;
  }
  if (sorted) return null;
  let slots = 1;
  while (slots < len) slots *= 2;
  // (t - tMin) * 2 + kind is an integer below 2 * span + 2 (epoch ms are integral); packed with the position it sorts natively.
  const span = (tMax - tMin) * 2 + 2;
  if (Number.isInteger(tMin) && Number.isInteger(tMax) && span * slots < Number.MAX_SAFE_INTEGER) {
    let integral = true;
    for (let p = 0; p < len; p++) {
      const rel = T[a + p]! - tMin;
      if (!Number.isInteger(rel)) integral = false;
      keys[p] = (rel * 2 + (Q[a + p]! < 0 ? 0 : 1)) * slots + p;
    }
    if (integral) {
      const k = keys.subarray(0, len);
      // Nearly sorted (each scan thread's chunks are in file order; the query points form one more
      // run): insertion sort, unless it moves more than a few places per row, then the native sort.
      let moves = 0;
      const budget = 8 * len;
      for (let i = 1; i < len && moves <= budget; i++) {
        const v = k[i]!;
        let j = i - 1;
        while (j >= 0 && k[j]! > v) {
          k[j + 1] = k[j]!;
          j--;
        }
        moves += i - 1 - j;
        k[j + 1] = v;
      }
      if (moves > budget) k.sort();
      for (let p = 0; p < len; p++) {
        const packed = k[p]!;
        out[p] = a + (packed - Math.floor(packed / slots) * slots);
      }
      return out;
    }
  }
  const idx = Array.from({ length: len }, (_, p) => a + p);
  // Array sort is stable: equal (time, kind) keep arrival order.
  idx.sort((x, y) => T[x]! - T[y]! || (Q[x]! < 0 ? 0 : 1) - (Q[y]! < 0 ? 0 : 1));
  for (let p = 0; p < len; p++) out[p] = idx[p]!;
  return out;
}

/** The union's chunks in JS: per chunk, its row count and its columns (entity, time, query point, inputs). */
export interface UnionColumns {
  n: number;
  inputs: number;
  parts: Array<{ rows: number; cols: Float64Array[] }>;
}

/** Reads a materialized union (entity, time, query, inputs...: all DOUBLE); chunks are read synchronously and not copied. */
export function readUnion(result: DuckDBMaterializedResult, inputs: number): UnionColumns {
  const chunks = result.chunkCount;
  let n = 0;
  const parts: Array<{ rows: number; cols: Float64Array[] }> = [];
  for (let c = 0; c < chunks; c++) {
    const chunk = result.getChunk(c);
    const rows = chunk.rowCount;
    if (rows === 0) continue;
    const cols: Float64Array[] = [];
    for (let k = 0; k < 3 + inputs; k++) cols.push(doubles(chunk.getColumnVector(k), rows));
    parts.push({ rows, cols });
    n += rows;
  }
  return { n, inputs, parts };
}

/** A DOUBLE vector's values; a null (only a query point's inputs are null, and they are never read) as NaN. */
function doubles(vector: unknown, rows: number): Float64Array {
  const items = (vector as { items?: unknown }).items;
  if (items instanceof Float64Array && items.length >= rows) return items.subarray(0, rows);
  throw new TypeError('expected a DOUBLE vector');
}

/** Runs a statement to a materialized result (DuckDB runs it in parallel; the chunks are then read without a round trip each). */
export async function materialize(conn: DuckDBConnection, sql: string): Promise<DuckDBMaterializedResult> {
  return conn.run(sql);
}
