import type { AggregationSpec, FeatureViewSpec } from '../definitions/specs.js';
import { coerceScalar, elementType, type FeatureValue, type ScalarType } from '../value-types.js';

/**
 * The aggregation semantics of stream feature views, in one place: the online worker and the
 * offline backfill both fold events through `applyEvent` and read features with `featuresOf`,
 * so the two stores cannot disagree (ADR 0031).
 *
 * Order: events are ordered by event time, ties by value (then arrival, which only identical
 * values reach), so neither redelivery nor file order can change a result. Features are evaluated at the
 * entity's newest event time T: windows cover (T - w, T]; the session is the run of events
 * ending at T whose gaps are at most `gap`. `featuresAt` evaluates the same definition at an
 * earlier time t, exactly for any t within the allowed lateness of T (the state keeps what that
 * needs), which is how the worker rewrites the offline rows a late event changes.
 */

/** One event after parsing: its time (epoch ms) and column values. */
export interface AggEvent {
  timeMs: number;
  values: Record<string, unknown>;
}

/** Per-entity aggregate state; plain JSON so a state store can keep it as a string. */
export interface AggregateState {
  /** Newest event time applied (epoch ms), or null when empty. */
  maxTimeMs: number | null;
  /** Arrival counter: the last tie-break, between events with the same time and values. */
  seq: number;
  /** Events applied in total (monotonic; the exactly-once tests read it). */
  applied: number;
  /** last_n aggregations: [timeMs, seq, value], newest first, at most n long. */
  lastN: Record<string, Array<[number, number, FeatureValue]>>;
  /** Events inside the longest window: [timeMs, seq, ...window column values], oldest first. */
  window: Array<Array<number | null>>;
  /** Sessions as [startMs, lastMs, events], newest first, at most MAX_SESSIONS. */
  sessions: Array<[number, number, number]>;
  /** Stream IDs of recently applied events, for idempotent replays (ascending ID order; older states: apply order). */
  recentIds: string[];
  /**
   * Event times applied, ascending, one per event: every one after T - lateness plus the newest
   * one at or before it. Absent in states saved before it existed.
   */
  times?: number[];
  /**
   * The created time of this entity's newest rows: the next rows' is later, so a correction wins over
   * what it corrects even when written by a worker whose clock is behind (ADR 0031). Absent in older states.
   */
  createdMs?: number;
}

/** Allowed lateness of a stream source that declares none: 5 minutes (ADR 0031). */
export const DEFAULT_ALLOWED_LATENESS_SECONDS = 300;

/** Sessions kept per entity: a late event can reopen or bridge any of them. */
export const MAX_SESSIONS = 4;
/** Applied event IDs remembered per entity to recognise a replay; an ID older than all of them counts as applied. */
export const RECENT_IDS = 64;

/** A compiled plan of a view's aggregations, shared by every entity. */
export interface AggregationPlan {
  view: FeatureViewSpec;
  aggregations: AggregationSpec[];
  /** Event columns the window aggregations read, in the order the state stores them. */
  windowColumns: string[];
  maxWindowMs: number;
  /** Columns any aggregation reads. */
  columns: string[];
  elementTypes: Record<string, ScalarType>;
  sessionGapMs: number | null;
  /** How far behind the newest event time the state stays exact for `featuresAt` (the source's allowed lateness). */
  latenessMs: number;
}

/** Compiles a stream view's aggregations once. */
export function planAggregations(view: FeatureViewSpec): AggregationPlan {
  const windowColumns: string[] = [];
  const elementTypes: Record<string, ScalarType> = {};
  let maxWindowMs = 0;
  let sessionGapMs: number | null = null;
  const columns = new Set<string>();
  for (const a of view.aggregations) {
    if (a.kind === 'last_n') {
      const f = view.features.find((x) => x.name === a.name);
      elementTypes[a.name] = f ? elementType(f.dtype) : 'string';
      columns.add(a.column);
    } else if (a.kind === 'count' || a.kind === 'sum' || a.kind === 'mean') {
      maxWindowMs = Math.max(maxWindowMs, a.windowSeconds * 1000);
      if (a.column) {
        columns.add(a.column);
        if (!windowColumns.includes(a.column)) windowColumns.push(a.column);
      }
    } else if (a.kind === 'session_length' || a.kind === 'session_duration') {
      // One session definition per view: the largest gap wins if several are declared.
      sessionGapMs = Math.max(sessionGapMs ?? 0, a.gapSeconds * 1000);
    }
  }
  const latenessMs = view.source.type === 'stream' ? (view.source.allowedLatenessSeconds ?? DEFAULT_ALLOWED_LATENESS_SECONDS) * 1000 : 0;
  return {
    view,
    aggregations: view.aggregations,
    windowColumns,
    maxWindowMs,
    columns: [...columns],
    elementTypes,
    sessionGapMs,
    latenessMs,
  };
}

/** A fresh, empty state. */
export function emptyState(): AggregateState {
  return { maxTimeMs: null, seq: 0, applied: 0, lastN: {}, window: [], sessions: [], recentIds: [], times: [] };
}

/** The oldest time `featuresAt` is exact at: the newest event time less the allowed lateness. */
export function exactSince(plan: AggregationPlan, state: AggregateState): number {
  return state.maxTimeMs === null ? Number.POSITIVE_INFINITY : state.maxTimeMs - plan.latenessMs;
}

/**
 * The distinct event times at or after `fromMs` whose features `featuresAt` gives exactly,
 * ascending: the times of the offline rows that events at `fromMs` or later change.
 */
export function rowTimesSince(plan: AggregationPlan, state: AggregateState, fromMs: number): number[] {
  const lo = Math.max(fromMs, exactSince(plan, state));
  const out: number[] = [];
  for (const t of state.times ?? []) if (t >= lo && t !== out[out.length - 1]) out.push(t);
  return out;
}

/** The parts of the last ID `parseId` accepted: module scratch, so comparing IDs allocates nothing. */
let idMs = 0;
let idSeq = 0;

/**
 * Reads a canonical ID, '<digits>' or '<digits>-<digits>' with at most 15 digits a part (exact as a
 * double, so the same numbers `Number` gives), into idMs / idSeq; false for anything else.
 */
function parseId(id: string): boolean {
  let ms = 0;
  let seq = 0;
  let dash = false;
  let digits = 0;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (++digits > 15) return false;
      if (dash) seq = seq * 10 + (c - 48);
      else ms = ms * 10 + (c - 48);
    } else if (c === 45 && !dash && digits > 0) {
      dash = true;
      digits = 0;
    } else return false;
  }
  if (digits === 0) return false;
  idMs = ms;
  idSeq = seq;
  return true;
}

/**
 * Compares two stream IDs ('<ms>-<seq>') numerically. Runs up to 128 times per event for an entity
 * whose ID memory is full (wasApplied, applyEvent), so canonical IDs are compared without splitting.
 */
export function compareIds(a: string, b: string): number {
  if (parseId(a)) {
    const am = idMs;
    const as = idSeq;
    if (parseId(b)) return am - idMs || as - idSeq;
  }
  const [am, as = '0'] = a.split('-');
  const [bm, bs = '0'] = b.split('-');
  return Number(am) - Number(bm) || Number(as) - Number(bs);
}

/**
 * Whether a stream ID was already applied to this state: it is one of the remembered IDs, or
 * older than all of them once the memory is full (a replay that old is assumed applied, ADR 0030).
 */
export function wasApplied(state: AggregateState, id: string): boolean {
  const ids = state.recentIds;
  if (ids.length < RECENT_IDS) return ids.includes(id);
  const sorted = idsSorted(ids);
  // The usual event is newer than every remembered ID: two comparisons instead of a scan.
  if (compareIds(id, sorted[sorted.length - 1]!) > 0) return false;
  return compareIds(id, sorted[0]!) < 0 || sorted.includes(id);
}

/**
 * ID arrays known to be in ascending ID order. applyEvent keeps them so (a sorted insert, the
 * smallest first to forget), so the smallest and largest remembered IDs are at the ends; the scan
 * for the smallest took 128 comparisons per event for an entity whose memory is full
 * (docs/profiles/stream-worker.md). A state parsed from the store gets a new array, sorted once
 * on first use (states saved before this kept apply order; the set is what counts).
 */
const sortedIdArrays = new WeakSet<string[]>();

function idsSorted(ids: string[]): string[] {
  if (!sortedIdArrays.has(ids)) {
    ids.sort(compareIds);
    sortedIdArrays.add(ids);
  }
  return ids;
}

function toNumber(v: unknown): number | null {
  if (v === null || v === undefined || v === '') return null;
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : null;
}

/** A value's sort key: numbers as themselves, dates as ISO strings (as a reloaded state holds them), the rest as text. */
function sortKey(v: unknown): number | string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number' || typeof v === 'string') return v;
  if (v instanceof Date) return v.toISOString();
  return JSON.stringify(v);
}

/** Orders two values of one column: null first, numbers by value, anything else by its text. */
function compareTieValues(a: unknown, b: unknown): number {
  const x = sortKey(a);
  const y = sortKey(b);
  if (x === y) return 0;
  if (x === null) return -1;
  if (y === null) return 1;
  if (typeof x === 'number' && typeof y === 'number') return x - y;
  const sx = String(x);
  const sy = String(y);
  return sx < sy ? -1 : sx > sy ? 1 : 0;
}

/** Orders two entries [time, seq, ...values]: by time, then values, then seq (equal values only). */
function compareEntries(a: ReadonlyArray<unknown>, b: ReadonlyArray<unknown>): number {
  const dt = (a[0] as number) - (b[0] as number);
  if (dt !== 0) return dt;
  for (let i = 2; i < a.length; i++) {
    const d = compareTieValues(a[i], b[i]);
    if (d !== 0) return d;
  }
  return (a[1] as number) - (b[1] as number);
}

/** Inserts `item` into `list` sorted newest first by (time, values, seq). */
function insertNewestFirst<T extends [number, number, ...unknown[]]>(list: T[], item: T): void {
  let i = 0;
  while (i < list.length && compareEntries(list[i]!, item) > 0) i++;
  list.splice(i, 0, item);
}

/**
 * Folds one event into the state (mutating it). `id` is remembered so a replay is skipped;
 * pass the stream ID online and a unique row id in the backfill.
 */
export function applyEvent(plan: AggregationPlan, state: AggregateState, event: AggEvent, id?: string): void {
  const t = event.timeMs;
  const seq = ++state.seq;
  state.applied++;
  if (state.maxTimeMs === null || t > state.maxTimeMs) state.maxTimeMs = t;
  const maxT = state.maxTimeMs;
  // Kept exact back to here, so the offline rows a late event changes can be rewritten.
  const horizon = maxT - plan.latenessMs;
  const times = (state.times ??= []);
  let at = times.length;
  while (at > 0 && times[at - 1]! > t) at--;
  times.splice(at, 0, t);
  let old = 0;
  while (old + 1 < times.length && times[old + 1]! <= horizon) old++;
  if (old > 0) times.splice(0, old);
  if (id !== undefined) {
    const ids = idsSorted(state.recentIds);
    let at = ids.length;
    while (at > 0 && compareIds(ids[at - 1]!, id) > 0) at--;
    if (at === ids.length) ids.push(id);
    else ids.splice(at, 0, id);
    // Forget the smallest ID, not the oldest applied: with out-of-order redelivery (a dead member's
    // events claimed late) the apply order is not the ID order, and "older than every remembered ID
    // counts as applied" holds only if every applied ID above the smallest is still remembered.
    if (ids.length > RECENT_IDS) ids.shift();
  }
  for (const a of plan.aggregations) {
    if (a.kind !== 'last_n') continue;
    const list = (state.lastN[a.name] ??= []);
    const v = coerceScalar(plan.elementTypes[a.name] ?? 'string', event.values[a.column]);
    insertNewestFirst(list, [t, seq, v === undefined ? null : v]);
    // Every value after the horizon, plus the n newest at or before it: the n newest as of any time since.
    let recent = 0;
    while (recent < list.length && list[recent]![0] > horizon) recent++;
    if (list.length > recent + a.n) list.length = recent + a.n;
  }
  if (plan.maxWindowMs > 0) {
    const row: Array<number | null> = [t, seq];
    for (const c of plan.windowColumns) row.push(toNumber(event.values[c]));
    let i = state.window.length;
    while (i > 0 && compareEntries(state.window[i - 1]!, row) > 0) i--;
    state.window.splice(i, 0, row);
    // Events at or before horizon - maxWindow can never fall in a window read again: T only grows.
    const cutoff = horizon - plan.maxWindowMs;
    let drop = 0;
    while (drop < state.window.length && state.window[drop]![0]! <= cutoff) drop++;
    if (drop > 0) state.window.splice(0, drop);
  }
  if (plan.sessionGapMs !== null) addToSessions(state.sessions, t, plan.sessionGapMs, horizon);
}

const byStart = (a: [number, number, number], b: [number, number, number]): number => a[0] - b[0];

/**
 * Adds an event time to the session list, merging sessions it touches or bridges; keeps those after the horizon and MAX_SESSIONS more.
 * In place: it runs once per event, and new arrays per call were a share of the stream worker's garbage (docs/profiles/stream-worker.md).
 */
function addToSessions(sessions: Array<[number, number, number]>, t: number, gap: number, horizon: number): void {
  sessions.push([t, t, 1]);
  sessions.sort(byStart);
  let w = 0;
  for (let r = 0; r < sessions.length; r++) {
    const s = sessions[r]!;
    const last = w > 0 ? sessions[w - 1]! : undefined;
    if (last && s[0] - last[1] <= gap) {
      last[1] = Math.max(last[1], s[1]);
      last[2] += s[2];
    } else sessions[w++] = s;
  }
  sessions.length = w;
  sessions.reverse();
  let recent = 0;
  while (recent < sessions.length && sessions[recent]![1] > horizon) recent++;
  if (sessions.length > recent + MAX_SESSIONS) sessions.length = recent + MAX_SESSIONS;
}

/** The view's feature values for a state, evaluated at its newest event time. */
export function featuresOf(plan: AggregationPlan, state: AggregateState): Record<string, FeatureValue> {
  return featuresAt(plan, state, state.maxTimeMs ?? 0);
}

/**
 * The view's feature values as of time T: the definition evaluated over the events at or before
 * T. Exact for T from `exactSince(plan, state)` on; before that, what the state still holds.
 */
export function featuresAt(plan: AggregationPlan, state: AggregateState, T: number): Record<string, FeatureValue> {
  const out: Record<string, FeatureValue> = {};
  for (const a of plan.aggregations) {
    switch (a.kind) {
      case 'last_n': {
        const vals: Array<Exclude<FeatureValue, unknown[]>> = [];
        for (const e of state.lastN[a.name] ?? []) {
          if (vals.length >= a.n) break;
          if (e[0] <= T) vals.push(e[2] as Exclude<FeatureValue, unknown[]>);
        }
        out[a.name] = vals;
        break;
      }
      case 'count':
      case 'sum':
      case 'mean': {
        const lo = T - a.windowSeconds * 1000;
        const ci = a.column ? 2 + plan.windowColumns.indexOf(a.column) : -1;
        let n = 0;
        let total = 0;
        // Summed oldest first, in the same order everywhere, so float results match bit for bit.
        for (const row of state.window) {
          if (row[0]! <= lo || row[0]! > T) continue;
          if (ci < 0) {
            n++;
            continue;
          }
          const v = row[ci];
          if (v === null || v === undefined) continue;
          n++;
          total += v;
        }
        out[a.name] = a.kind === 'count' ? n : a.kind === 'sum' ? total : n === 0 ? null : total / n;
        break;
      }
      case 'session_length':
      case 'session_duration': {
        const s = sessionAt(state, T);
        out[a.name] = !s ? 0 : a.kind === 'session_length' ? s[2] : (s[1] - s[0]) / 1000;
        break;
      }
    }
  }
  return out;
}

/**
 * The session as of T: the newest session starting at or before T, cut at T. Its events after T
 * are all in `times` when T is within the lateness, and so is the newest event at or before T.
 */
function sessionAt(state: AggregateState, T: number): [number, number, number] | undefined {
  const s = state.sessions.find((x) => x[0] <= T);
  if (!s || s[1] <= T) return s;
  let after = 0;
  let last = s[0];
  for (const t of state.times ?? []) {
    if (t > T && t <= s[1]) after++;
    else if (t <= T && t > last) last = t;
  }
  return [s[0], last, s[2] - after];
}
