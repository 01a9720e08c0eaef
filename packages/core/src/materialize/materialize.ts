import { createHash } from 'node:crypto';
import type { FeatureViewSpec } from '../definitions/specs.js';
import { ErrorCode, RequestError } from '../errors.js';
import type { FeatureStore } from '../feature-store.js';
import type { OfflineStore, PulledBatch } from '../stores/offline-store.js';
import type { OnlineColumnarWrite, OnlineStore, OnlineWriteResult, OnlineWriteRow } from '../stores/online-store.js';
import { TIME_RANGE_TEXT, isSupportedTimeMs } from '../time-range.js';
import { NON_FINITE_HINT, allowsNonFinite, coerceValue, elementType, hasNonFinite, type FeatureValue } from '../value-types.js';
import { materializeTiles } from './materialize-tiles.js';
import type { MaterializationState } from '../registry/registry-data.js';
import { ProgressTracker, type MaterializeProgress } from './progress.js';

/** Options of `store.materialize` and `store.materializeIncremental`. */
export interface MaterializeOptions {
  /** Views to materialize (default: every view with `online: true`). */
  views?: readonly string[];
  /** Called at each view's start, after each written batch, and at its end. */
  onProgress?: (p: MaterializeProgress) => void;
  /** Rows per pulled batch (default 2,000: MATERIALIZE_BATCH_ROWS). */
  batchSize?: number;
  /** Views materialized at once (default 2: on 2 cores, 1.10-1.23x for 500k-row views; see ADR 0032). */
  parallelism?: number;
  /** Online writes in flight per view while the next batch is pulled (default 8: MATERIALIZE_WRITES_IN_FLIGHT). */
  writesInFlight?: number;
  /**
   * Rewrite even a window already materialized from the same source (default false). Needed only
   * when rows were removed from the online store one by one, which its materialization mark cannot see.
   */
  force?: boolean;
}

/** What one view's materialization did. */
export interface ViewMaterializeResult {
  view: string;
  start: string;
  end: string;
  rows: number;
  written: number;
  skippedOlder: number;
  seconds: number;
  rowsPerSecond: number;
  /** Set when the view was skipped, writing nothing: why. */
  skipReason?: string;
}

/** The summary of a materialization run (what `--json` prints). */
export interface MaterializeResult {
  views: ViewMaterializeResult[];
  rows: number;
  seconds: number;
}

/**
 * The default pipeline: batches of 2,000 rows, 8 writes in flight, so at most 16,000 pulled rows
 * wait on Redis per view. Against 20,000 x 2 at 500k rows x 20 float64 (2026-12-02, alternating
 * runs): peak RSS 438 against 596-642 MB (JS heap 169 against 320-328 MB: fewer live row buffers
 * and ioredis commands), and 1.16x the speed, since more smaller pipelines keep Redis busy while
 * the next chunk is pulled (docs/experiments/2026-12-materialization-batches.md).
 */
export const MATERIALIZE_BATCH_ROWS = 2_000;
export const MATERIALIZE_WRITES_IN_FLIGHT = 8;

function checkDate(d: Date, what: string): void {
  // The window bounds every pulled row's event time, so a window inside the range keeps stored times in it.
  if (!(d instanceof Date) || !isSupportedTimeMs(d.getTime())) {
    throw new RequestError(ErrorCode.INVALID_REQUEST, `Materialization ${what} time is not a valid date within ${TIME_RANGE_TEXT}.`, {
      hint: "Pass an ISO time such as '2024-01-01T00:00:00Z' or a Date.",
      where: { field: what },
    });
  }
}

/** Arrow list cells arrive as vectors; everything else is coerced by type. */
function normalize(dtype: Parameters<typeof coerceValue>[0], v: unknown): FeatureValue {
  if (v !== null && typeof v === 'object' && typeof (v as { toArray?: unknown }).toArray === 'function' && !(v instanceof Uint8Array)) {
    v = Array.from((v as { toArray(): ArrayLike<unknown> }).toArray());
  }
  const c = coerceValue(dtype, v);
  return c === undefined ? null : c;
}

/** A value as the offline store hands it over: plain values pass, bigint and Arrow cells are coerced. */
function cell(dtype: Parameters<typeof coerceValue>[0], v: unknown): FeatureValue {
  if (v === undefined || v === null) return null;
  return typeof v === 'object' || typeof v === 'bigint' ? normalize(dtype, v) : (v as FeatureValue);
}

type RowBuilder = (cols: ReadonlyArray<unknown[] | undefined>, i: number) => Record<string, FeatureValue>;
const builders = new WeakMap<FeatureViewSpec, RowBuilder>();

/**
 * A row-object builder compiled per view: one object literal with the view's feature names, so
 * every row shares one hidden class (half the time of adding properties one by one, measured).
 */
function rowBuilder(view: FeatureViewSpec): RowBuilder {
  let b = builders.get(view);
  if (!b) {
    const props = view.features
      .map((f, j) => `${JSON.stringify(f.name)}: cell(types[${j}], cols[${j}] === undefined ? undefined : cols[${j}][i])`)
      .join(',\n');
    const make = new Function('cell', 'types', `return (cols, i) => ({\n${props}\n});`) as (c: typeof cell, t: unknown[]) => RowBuilder;
    b = make(
      cell,
      view.features.map((f) => f.dtype),
    );
    builders.set(view, b);
  }
  return b;
}

/**
 * Refuses NaN and ±Infinity in the float features of a pulled batch unless the field allows them:
 * the same rule as push, online writes and stream events, so no path stores what another refuses.
 */
function checkFinite(view: FeatureViewSpec, batch: PulledBatch, columns: ReadonlyArray<ArrayLike<unknown> | undefined>): void {
  view.features.forEach((f, j) => {
    const col = columns[j];
    if (col === undefined || !elementType(f.dtype).startsWith('float') || allowsNonFinite(f)) return;
    for (let i = 0; i < col.length; i++) {
      const v = col[i];
      if (typeof v === 'number' ? Number.isFinite(v) : !hasNonFinite(v)) continue;
      const key = batch.keys[i]!;
      throw new RequestError(
        ErrorCode.WRONG_TYPE,
        `Materializing feature view '${view.name}': feature '${f.name}' of entity ${JSON.stringify(key)} is ${String(v)}, which is not finite, and the field does not allow NaN or ±Infinity. Nothing of this batch was written.`,
        {
          where: { featureView: view.name, feature: f.name, entity: key.join(',') },
          hint: `Clean the source rows, or: ${NON_FINITE_HINT}`,
        },
      );
    }
  });
}

/** Turns a column-major pulled batch into online write rows. */
export function batchToRows(view: FeatureViewSpec, batch: PulledBatch): OnlineWriteRow[] {
  const n = batch.keys.length;
  const rows: OnlineWriteRow[] = new Array(n);
  const cols = view.features.map((f) => batch.columns[f.name]);
  checkFinite(view, batch, cols);
  const build = rowBuilder(view);
  for (let i = 0; i < n; i++) {
    rows[i] = { key: batch.keys[i]!, values: build(cols, i), eventTimeMs: batch.eventTimeMs[i]!, createdTimeMs: batch.createdTimeMs[i] };
  }
  return rows;
}

/**
 * A pulled batch as write columns in `view.features` order: a column of plain values passes as it
 * is; only a column holding bigint or Arrow cells is converted. No object per row.
 */
export function batchToColumns(view: FeatureViewSpec, batch: PulledBatch): OnlineColumnarWrite {
  const columns = view.features.map((f): ArrayLike<FeatureValue | undefined> => {
    const col = batch.columns[f.name];
    if (col === undefined) return [];
    for (let i = 0; i < col.length; i++) {
      const v = col[i];
      if ((typeof v === 'object' && v !== null) || typeof v === 'bigint') return col.map((x) => cell(f.dtype, x));
    }
    return col as Array<FeatureValue | undefined>;
  });
  checkFinite(view, batch, columns);
  return { keys: batch.keys, columns, eventTimeMs: batch.eventTimeMs, createdTimeMs: batch.createdTimeMs };
}

/** Writes one pulled batch, column by column when the store can take columns. */
function writeBatch(online: OnlineStore, project: string, view: FeatureViewSpec, batch: PulledBatch): Promise<OnlineWriteResult> {
  if (online.writeColumns) return online.writeColumns(project, view, batchToColumns(view, batch));
  return online.write(project, view, batchToRows(view, batch));
}

/** What a complete run leaves in the online store beside a view's rows (OnlineStore.materializationMark). */
interface MaterializationMark {
  start: string;
  end: string;
  /** The view's definition and its source's fingerprint, hashed. */
  source: string;
  at: number;
}

/** The definition and source identity a run read; null when the offline store cannot fingerprint its source. */
async function sourceIdentity(offline: OfflineStore, view: FeatureViewSpec): Promise<string | null> {
  const fp = offline.sourceFingerprint ? await offline.sourceFingerprint(view).catch(() => null) : null;
  if (fp === null) return null;
  return createHash('sha256').update(JSON.stringify(view)).update('\0').update(fp).digest('hex').slice(0, 32);
}

/**
 * Why a run of [start, end) can write nothing, or undefined when it must run: the online store
 * still carries the mark of a complete run over a window holding this one, from the same
 * definition and source files, and no row of that run can have expired yet. Every row that run
 * wrote is at least as new as what this one would write, so the conditional write would skip them all.
 */
async function skipReason(
  online: OnlineStore,
  project: string,
  view: FeatureViewSpec,
  start: Date,
  end: Date,
  source: string | null,
): Promise<string | undefined> {
  if (source === null || !online.materializationMark) return undefined;
  const raw = await online.materializationMark(project, view).catch(() => null);
  if (!raw) return undefined;
  let mark: MaterializationMark;
  try {
    mark = JSON.parse(raw) as MaterializationMark;
  } catch {
    return undefined;
  }
  if (mark.source !== source || Date.parse(mark.start) > start.getTime() || Date.parse(mark.end) < end.getTime()) return undefined;
  if (view.ttlSeconds > 0 && Date.now() >= mark.at + view.ttlSeconds * 1000) return undefined;
  return `already materialized: [${mark.start}, ${mark.end}) was written at ${new Date(mark.at).toISOString()} from the same definition and unchanged source files; pass force to rewrite`;
}

/** Streams one view's latest rows in [start, end) into the online store, with a bounded number of writes in flight. */
async function materializeView(
  store: FeatureStore,
  offline: OfflineStore,
  online: OnlineStore,
  view: FeatureViewSpec,
  start: Date,
  end: Date,
  options: MaterializeOptions,
  incremental = false,
  prior?: MaterializationState,
): Promise<ViewMaterializeResult> {
  const t0 = performance.now();
  if (view.tiling)
    return materializeAggregationView(store, offline, online, view, start, end, options, incremental ? (prior ?? null) : undefined, t0);
  const maxInFlight = Math.max(1, options.writesInFlight ?? MATERIALIZE_WRITES_IN_FLIGHT);
  const tracker = new ProgressTracker(view.name, options.onProgress);
  // Fingerprinted before the pull: a file that lands during the run changes the next run's fingerprint.
  const source = await sourceIdentity(offline, view);
  const why = options.force ? undefined : await skipReason(online, store.project, view, start, end, source);
  if (why !== undefined) {
    tracker.start(0);
    tracker.done();
    const seconds = (performance.now() - t0) / 1000;
    return {
      view: view.name,
      start: start.toISOString(),
      end: end.toISOString(),
      rows: 0,
      written: 0,
      skippedOlder: 0,
      seconds,
      rowsPerSecond: 0,
      skipReason: why,
    };
  }
  const counter = (offline as { countLatest?: (v: FeatureViewSpec, s: Date, e: Date) => Promise<number> }).countLatest;
  tracker.start(counter ? await counter.call(offline, view, start, end).catch(() => null) : null);
  const inFlight: Array<Promise<void>> = [];
  let rows = 0;
  let written = 0;
  let skippedOlder = 0;
  try {
    for await (const batch of offline.pullLatest(view, start, end, { batchSize: options.batchSize ?? MATERIALIZE_BATCH_ROWS })) {
      const n = batch.keys.length;
      if (n === 0) continue;
      const p = writeBatch(online, store.project, view, batch).then((r) => {
        written += r.written;
        skippedOlder += r.skippedOlder;
        rows += n;
        tracker.advance(n);
      });
      inFlight.push(p);
      if (inFlight.length >= maxInFlight) await inFlight.shift();
    }
    await Promise.all(inFlight);
  } catch (err) {
    await Promise.allSettled(inFlight);
    throw err;
  }
  // Only a completed view moves its watermark: a crash leaves it where it was, and the rerun rewrites the same rows.
  await store.registry.recordMaterialization(view.name, start, end);
  if (source !== null && online.setMaterializationMark) {
    const mark: MaterializationMark = { start: start.toISOString(), end: end.toISOString(), source, at: Date.now() };
    await online.setMaterializationMark(store.project, view, JSON.stringify(mark));
  }
  const seconds = (performance.now() - t0) / 1000;
  tracker.done();
  return {
    view: view.name,
    start: start.toISOString(),
    end: end.toISOString(),
    rows,
    written,
    skippedOlder,
    seconds,
    rowsPerSecond: seconds > 0 ? rows / seconds : rows,
  };
}

/**
 * The longest a view's recent rows may reach back (7 days, and at most 168 tiles): each recent run
 * tiles every event since the tile base and a read decodes a second row, so past this a run compacts.
 */
export function recentSpanMs(tileMs: number): number {
  return Math.min(7 * 86_400_000, 168 * tileMs);
}

/** An aggregation view: tiles from the offline store, one row per entity online (materialize-tiles.ts). */
async function materializeAggregationView(
  store: FeatureStore,
  offline: OfflineStore,
  online: OnlineStore,
  view: FeatureViewSpec,
  start: Date,
  end: Date,
  options: MaterializeOptions,
  /** Incremental runs: the view's materialization state as the run found it (null when it has none); full runs: undefined. */
  prior: MaterializationState | null | undefined,
  t0: number,
): Promise<ViewMaterializeResult> {
  const incremental = prior !== undefined;
  const tracker = new ProgressTracker(view.name, options.onProgress);
  tracker.start(null);
  // Incremental runs end at a tile boundary, so the next run's tiles never overlap this one's.
  const tileMs = view.tiling!.tileSeconds * 1000;
  if (incremental) end = new Date(Math.max(start.getTime(), Math.floor(end.getTime() / tileMs) * tileMs));
  // Incremental runs write recent rows (tiles since the tile base) until those would span RECENT_SPAN, then compact.
  const base = prior?.tileBase;
  const from = base !== undefined && Date.parse(base) <= start.getTime() ? new Date(base) : start;
  const mode = !incremental ? 'full' : base !== undefined && end.getTime() - from.getTime() <= recentSpanMs(tileMs) ? 'recent' : 'compact';
  const r = await materializeTiles(store.project, offline, online, view, mode === 'full' ? start : from, end, {
    mode,
    // A recent run's states are small and all alive until written: 2,000 a batch keeps the young
    // generation's survivors few (day 30 of the benchmark: 0.34-0.49 s against 0.61-0.85 s at 10,000,
    // alternating runs); the backfill's larger states stream best at 10,000 (3.8-4.5 s against 5.2-5.8 s).
    batchSize: options.batchSize ?? (mode === 'recent' ? 2_000 : 10_000),
    tracker,
  });
  // Readers look recent rows up from when this is recorded (within their registry cache's age), as they see the watermark.
  await store.registry.recordMaterialization(view.name, start, end, mode);
  const seconds = (performance.now() - t0) / 1000;
  tracker.done();
  return {
    view: view.name,
    start: start.toISOString(),
    end: end.toISOString(),
    rows: r.rows,
    written: r.written,
    skippedOlder: r.skippedOlder,
    seconds,
    rowsPerSecond: seconds > 0 ? r.rows / seconds : r.rows,
  };
}

async function selectViews(store: FeatureStore, names: readonly string[] | undefined): Promise<FeatureViewSpec[]> {
  if (names && names.length > 0) return Promise.all(names.map((n) => store.registry.getFeatureView(n)));
  const data = await store.registry.data({ fresh: true });
  return Object.values(data.featureViews)
    .map((v) => v.spec)
    .filter((v) => v.online)
    .sort((a, b) => a.name.localeCompare(b.name));
}

async function runAll(
  store: FeatureStore,
  jobs: Array<{ view: FeatureViewSpec; start: Date; end: Date; prior?: MaterializationState }>,
  options: MaterializeOptions,
  incremental = false,
): Promise<MaterializeResult> {
  const t0 = performance.now();
  const [offline, online] = await Promise.all([store.offlineStore(), store.onlineStore()]);
  const results: ViewMaterializeResult[] = new Array(jobs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const i = next++;
      const j = jobs[i]!;
      results[i] = await materializeView(store, offline, online, j.view, j.start, j.end, options, incremental, j.prior);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.parallelism ?? 2, jobs.length)) }, worker));
  return {
    views: results.filter(Boolean),
    rows: results.reduce((s, r) => s + (r?.rows ?? 0), 0),
    seconds: (performance.now() - t0) / 1000,
  };
}

/**
 * Loads the latest value per entity with event time in [start, end) from the offline store into
 * the online store, for each view. Safe to rerun: writes are idempotent and never replace newer values.
 * @example await store.materialize(new Date('2024-01-01'), new Date('2024-02-01'), { views: ['user_stats'] });
 */
export async function materialize(
  store: FeatureStore,
  start: Date,
  end: Date,
  options: MaterializeOptions = {},
): Promise<MaterializeResult> {
  checkDate(start, 'start');
  checkDate(end, 'end');
  if (start.getTime() >= end.getTime()) {
    throw new RequestError(
      ErrorCode.INVALID_REQUEST,
      `Materialization start ${start.toISOString()} is not before end ${end.toISOString()}.`,
      {
        hint: 'Pass START earlier than END.',
      },
    );
  }
  const views = await selectViews(store, options.views);
  return runAll(
    store,
    views.map((view) => ({ view, start, end })),
    options,
  );
}

/**
 * Materializes each view from its watermark (the end of its last run; on a first run, `end - ttl`,
 * or the beginning of time without ttl) up to `end`, and moves the watermark.
 */
export async function materializeIncremental(store: FeatureStore, end: Date, options: MaterializeOptions = {}): Promise<MaterializeResult> {
  checkDate(end, 'end');
  const views = await selectViews(store, options.views);
  const data = await store.registry.data({ fresh: true });
  const jobs: Array<{ view: FeatureViewSpec; start: Date; end: Date; prior?: MaterializationState }> = [];
  for (const view of views) {
    const prior = data.materialization[view.name];
    const wm = prior?.watermark;
    const start = wm ? new Date(wm) : view.ttlSeconds > 0 ? new Date(end.getTime() - view.ttlSeconds * 1000) : new Date(0);
    if (start.getTime() < end.getTime()) jobs.push({ view, start, end, ...(prior ? { prior } : {}) });
  }
  return runAll(store, jobs, options, true);
}
