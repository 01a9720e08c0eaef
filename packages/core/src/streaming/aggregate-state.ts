import type { AggregationSpec, FeatureViewSpec } from '../definitions/specs.js';
import { coerceScalar, elementType, type FeatureValue, type ScalarType } from '../value-types.js';

/**
 * The aggregation semantics of stream feature views, in one place: the online worker and the
 * offline backfill both fold events through `applyEvent` and read features with `featuresOf`,
 * so the two stores cannot disagree (ADR 0031).
 *
 * Order: events are ordered by event time, ties by arrival. Features are evaluated at the
 * entity's newest event time T: windows cover (T - w, T]; the session is the run of events
 * ending at T whose gaps are at most `gap`.
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
  /** Arrival counter: the tie-break between events with the same time. */
  seq: number;
  /** Events applied in total (monotonic; the exactly-once tests read it). */
  applied: number;
  /** last_n aggregations: [timeMs, seq, value], newest first, at most n long. */
  lastN: Record<string, Array<[number, number, FeatureValue]>>;
  /** Events inside the longest window: [timeMs, seq, ...window column values], oldest first. */
  window: Array<Array<number | null>>;
  /** Sessions as [startMs, lastMs, events], newest first, at most MAX_SESSIONS. */
  sessions: Array<[number, number, number]>;
  /** Stream IDs of recently applied events, for idempotent replays (newest last). */
  recentIds: string[];
}

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
  return { view, aggregations: view.aggregations, windowColumns, maxWindowMs, columns: [...columns], elementTypes, sessionGapMs };
}

/** A fresh, empty state. */
export function emptyState(): AggregateState {
  return { maxTimeMs: null, seq: 0, applied: 0, lastN: {}, window: [], sessions: [], recentIds: [] };
}

/** Compares two stream IDs ('<ms>-<seq>') numerically. */
export function compareIds(a: string, b: string): number {
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
  if (ids.includes(id)) return true;
  if (ids.length < RECENT_IDS) return false;
  let min = ids[0]!;
  for (const x of ids) if (compareIds(x, min) < 0) min = x;
  return compareIds(id, min) < 0;
}

function toNumber(v: unknown): number | null {
  if (v === null || v === undefined || v === '') return null;
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : null;
}

/** Inserts `item` into `list` sorted newest first by (time, seq). */
function insertNewestFirst<T extends [number, number, ...unknown[]]>(list: T[], item: T): void {
  let i = 0;
  while (i < list.length && (list[i]![0] > item[0] || (list[i]![0] === item[0] && list[i]![1] > item[1]))) i++;
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
  if (id !== undefined) {
    state.recentIds.push(id);
    if (state.recentIds.length > RECENT_IDS) state.recentIds.splice(0, state.recentIds.length - RECENT_IDS);
  }
  for (const a of plan.aggregations) {
    if (a.kind !== 'last_n') continue;
    const list = (state.lastN[a.name] ??= []);
    const v = coerceScalar(plan.elementTypes[a.name] ?? 'string', event.values[a.column]);
    insertNewestFirst(list, [t, seq, v === undefined ? null : v]);
    if (list.length > a.n) list.length = a.n;
  }
  if (plan.maxWindowMs > 0) {
    const row: Array<number | null> = [t, seq, ...plan.windowColumns.map((c) => toNumber(event.values[c]))];
    let i = state.window.length;
    while (i > 0 && (state.window[i - 1]![0]! > t || (state.window[i - 1]![0] === t && state.window[i - 1]![1]! > seq))) i--;
    state.window.splice(i, 0, row);
    // Events at or before T - maxWindow can never fall in a window again: T only grows.
    const cutoff = maxT - plan.maxWindowMs;
    let drop = 0;
    while (drop < state.window.length && state.window[drop]![0]! <= cutoff) drop++;
    if (drop > 0) state.window.splice(0, drop);
  }
  if (plan.sessionGapMs !== null) addToSessions(state.sessions, t, plan.sessionGapMs);
}

/** Adds an event time to the session list, merging sessions it touches or bridges. */
function addToSessions(sessions: Array<[number, number, number]>, t: number, gap: number): void {
  sessions.push([t, t, 1]);
  sessions.sort((a, b) => a[0] - b[0]);
  const merged: Array<[number, number, number]> = [];
  for (const s of sessions) {
    const last = merged[merged.length - 1];
    if (last && s[0] - last[1] <= gap) {
      last[1] = Math.max(last[1], s[1]);
      last[2] += s[2];
    } else merged.push([s[0], s[1], s[2]]);
  }
  merged.reverse();
  sessions.length = 0;
  sessions.push(...merged.slice(0, MAX_SESSIONS));
}

/** The view's feature values for a state, evaluated at its newest event time. */
export function featuresOf(plan: AggregationPlan, state: AggregateState): Record<string, FeatureValue> {
  const out: Record<string, FeatureValue> = {};
  const T = state.maxTimeMs ?? 0;
  for (const a of plan.aggregations) {
    switch (a.kind) {
      case 'last_n':
        out[a.name] = (state.lastN[a.name] ?? []).map((e) => e[2] as Exclude<FeatureValue, unknown[]>);
        break;
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
        const s = state.sessions[0];
        out[a.name] = !s ? (a.kind === 'session_length' ? 0 : 0) : a.kind === 'session_length' ? s[2] : (s[1] - s[0]) / 1000;
        break;
      }
    }
  }
  return out;
}
