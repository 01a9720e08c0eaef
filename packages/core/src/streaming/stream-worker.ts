import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { FeatureViewSpec, FileSourceSpec } from '../definitions/specs.js';
import { ErrorCode, StoreError } from '../errors.js';
import type { FeatureStore } from '../feature-store.js';
import type { OnlineWriteRow } from '../stores/online-store.js';
import type { FeatureValue } from '../value-types.js';
import {
  applyEvent,
  emptyState,
  featuresOf,
  planAggregations,
  wasApplied,
  type AggregateState,
  type AggregationPlan,
} from './aggregate-state.js';
import { keyString, parseEvent } from './parse-event.js';
import { groupOf, type AggregateStateStore, type StreamBroker, type StreamMessage, type StreamSubscription } from './stream-source.js';

/** Options of a stream worker. */
export interface StreamWorkerOptions {
  /** Consumer name inside each view's group; a restarted worker with the same name resumes its own pending events. */
  consumer?: string;
  /** Most messages read per poll. */
  batchSize?: number;
  /** How long one read waits for new messages. */
  blockMs?: number;
  /** Pending messages idle this long (a dead consumer's, or a batch whose save lost a race) are claimed. */
  claimIdleMs?: number;
  /** Append one feature row per event to the view's offline source (default: the view's `offline` flag). */
  writeOffline?: boolean;
  /** Batches whose offline append and state save may still be running while the next one is read (default 4). */
  maxInFlight?: number;
  /** Called after a batch's states are saved and before it is acknowledged: the riskiest crash point, which tests inject faults at. */
  afterSave?: (view: string) => void;
  /** Called after each batch is acknowledged. */
  onBatch?: (stats: BatchStats) => void;
  /** Called for an error that does not stop the worker (a store hiccup; the batch is replayed). */
  onError?: (err: unknown, view: string) => void;
}

/** What one processed batch did. */
export interface BatchStats {
  view: string;
  messages: number;
  applied: number;
  replayed: number;
  invalid: number;
  entities: number;
  /** Entities whose state save lost a race; their messages stay pending and are claimed again. */
  conflicts: number;
}

/** Running totals of a worker. */
export interface WorkerTotals {
  messages: number;
  applied: number;
  replayed: number;
  invalid: number;
  batches: number;
}

/** A state whose save is still running: later batches continue from it instead of the store. */
interface CachedState {
  state: AggregateState;
  /** The version the store holds once every queued save of this entity succeeds. */
  version: number;
  inflight: number;
}

/**
 * A StreamWorker consumes a stream view's events through a consumer group and keeps its
 * aggregates in both stores. Per batch: fold new events into each entity's state and write the
 * features online at once (freshness), then, in order behind earlier batches, append the
 * offline rows, compare-and-set the states (a replayed event is recognised by its ID and
 * skipped) and acknowledge. Both writes are a pure function of (saved state, events), so a
 * crash anywhere replays to the same effect (ADR 0030).
 */
export class StreamWorker {
  readonly totals: WorkerTotals = { messages: 0, applied: 0, replayed: 0, invalid: 0, batches: 0 };
  private stopping = false;
  private lastCreatedMs = 0;
  private readonly subs: StreamSubscription[] = [];
  private readonly states: AggregateStateStore;
  private readonly consumer: string;
  private readonly caches = new Map<string, Map<string, CachedState>>();

  constructor(
    private readonly store: FeatureStore,
    private readonly broker: StreamBroker,
    readonly views: readonly FeatureViewSpec[],
    private readonly options: StreamWorkerOptions = {},
  ) {
    this.states = broker.stateStore(store.project);
    this.consumer = options.consumer ?? `${os.hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  }

  /** Consumes until `stop()` is called; resolves when every view's loop has ended and its batches are acknowledged. */
  async run(): Promise<void> {
    await Promise.all(this.views.map((v) => this.runView(v)));
  }

  /** Asks the loops to end after their current batch. */
  stop(): void {
    this.stopping = true;
  }

  /** Stops and releases the subscriptions and state store (not the broker). */
  async close(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.subs.map((s) => s.close().catch(() => undefined)));
    await this.states.close().catch(() => undefined);
  }

  private async runView(view: FeatureViewSpec): Promise<void> {
    if (view.source.type !== 'stream') {
      throw new StoreError(ErrorCode.STREAM_ERROR, `Feature view '${view.name}' has no stream source.`, {
        where: { featureView: view.name },
      });
    }
    const sub = await this.broker.subscribe({
      topic: view.source.topic,
      group: groupOf(this.store.project, view),
      consumer: this.consumer,
    });
    this.subs.push(sub);
    const plan = planAggregations(view);
    const batchSize = this.options.batchSize ?? 2000;
    const claimIdleMs = this.options.claimIdleMs ?? 30_000;
    const maxInFlight = Math.max(1, this.options.maxInFlight ?? 4);
    const tails: Array<Promise<unknown>> = [];
    let nextClaim = 0;
    const fail = async (err: unknown): Promise<void> => {
      // Whatever was not acknowledged is replayed from the saved states, so forget the unsaved ones.
      this.caches.get(view.name)?.clear();
      if (this.stopping) return;
      this.options.onError?.(err, view.name);
      nextClaim = 0;
      await new Promise((r) => setTimeout(r, 200));
    };
    while (!this.stopping) {
      try {
        let msgs: StreamMessage[] = [];
        if (Date.now() >= nextClaim && tails.length === 0) {
          msgs = await sub.claimStale({ minIdleMs: claimIdleMs, count: batchSize });
          nextClaim = Date.now() + Math.min(claimIdleMs, 5000);
        }
        // With batches in flight, poll instead of blocking so their acknowledgements are not held up.
        if (msgs.length === 0) msgs = await sub.read({ count: batchSize, blockMs: tails.length > 0 ? 1 : (this.options.blockMs ?? 1000) });
        if (msgs.length > 0) {
          const tail = (await this.startBatch(plan, sub, msgs)).done.catch(fail);
          tails.push(tail);
          void tail.finally(() => tails.splice(tails.indexOf(tail), 1));
        }
        if (tails.length >= maxInFlight || (msgs.length === 0 && tails.length > 0)) await tails[0];
      } catch (err) {
        await fail(err);
      }
    }
    await Promise.allSettled(tails);
  }

  /** Applies one batch of messages to one view and resolves once it is acknowledged. */
  async processBatch(plan: AggregationPlan, sub: StreamSubscription, msgs: readonly StreamMessage[]): Promise<BatchStats> {
    return (await this.startBatch(plan, sub, msgs)).done;
  }

  /** Per view, the tail of the latest batch: tails run one after another, in read order. */
  private readonly queue = new Map<string, Promise<unknown>>();

  /**
   * Folds a batch and writes it online; returns the batch's tail (offline append, state save,
   * acknowledgement), queued behind the tails of earlier batches of the same view.
   */
  private async startBatch(
    plan: AggregationPlan,
    sub: StreamSubscription,
    msgs: readonly StreamMessage[],
  ): Promise<{ done: Promise<BatchStats> }> {
    const view = plan.view;
    const byKey = new Map<
      string,
      { key: Array<string | number>; events: Array<{ id: string; timeMs: number; values: Record<string, unknown> }> }
    >();
    const dead: Array<{ m: StreamMessage; reason: string }> = [];
    const idsOf = new Map<string, string[]>();
    for (const m of msgs) {
      const p = parseEvent(view, m.fields);
      if ('error' in p) {
        dead.push({ m, reason: `${p.error} (feature view '${view.name}')` });
        continue;
      }
      const k = keyString(p.key);
      let g = byKey.get(k);
      if (!g) byKey.set(k, (g = { key: p.key, events: [] }));
      g.events.push({ id: m.id, ...p.event });
      (idsOf.get(k) ?? idsOf.set(k, []).get(k)!).push(m.id);
    }
    let cache = this.caches.get(view.name);
    if (!cache) this.caches.set(view.name, (cache = new Map()));
    const keys = [...byKey.keys()];
    // Taken before the load: an earlier batch's save may finish meanwhile and drop its entry, which stays valid.
    const cached = new Map(keys.flatMap((k) => (cache.has(k) ? [[k, cache.get(k)!] as const] : [])));
    const missing = keys.filter((k) => !cached.has(k));
    const loaded = await this.states.load(view.name, missing);
    const fromStore = new Map(missing.map((k, i) => [k, loaded[i]]));
    const writeOffline = (this.options.writeOffline ?? view.offline) && view.source.type === 'stream';
    const saves: Array<{ key: string; json: string; expected: number }> = [];
    const offlineRows: Array<Record<string, unknown>> = [];
    const onlineRows: OnlineWriteRow[] = [];
    const touched: CachedState[] = [];
    const now = Date.now();
    let applied = 0;
    let replayed = 0;
    for (const k of keys) {
      const g = byKey.get(k)!;
      let c = cached.get(k);
      if (!c) {
        const s = fromStore.get(k);
        c = { state: s?.state ?? emptyState(), version: s?.version ?? 0, inflight: 0 };
      }
      let changed = false;
      let lastRow: { index: number; timeMs: number } | undefined;
      for (const e of g.events) {
        if (wasApplied(c.state, e.id)) {
          replayed++;
          continue;
        }
        applyEvent(plan, c.state, e, e.id);
        applied++;
        changed = true;
        if (writeOffline) {
          // Events of one key at one time give one row, the state after the last of them: two rows
          // with equal times would let a point-in-time join pick an in-between state.
          const row = this.offlineRow(plan, g.key, e.timeMs, featuresOf(plan, c.state));
          if (lastRow && lastRow.timeMs === e.timeMs) offlineRows[lastRow.index] = row;
          else lastRow = { index: offlineRows.push(row) - 1, timeMs: e.timeMs };
        }
      }
      if (changed) {
        // A snapshot: later batches keep folding into c.state while this save waits its turn.
        saves.push({ key: k, json: JSON.stringify(c.state), expected: c.version });
        c.version++;
        c.inflight++;
        cache.set(k, c);
        touched.push(c);
      }
      // Written even for a pure replay: it repairs a crash that fell after the write and before the save.
      if (c.state.maxTimeMs !== null)
        onlineRows.push({ key: g.key, values: featuresOf(plan, c.state), eventTimeMs: c.state.maxTimeMs, createdTimeMs: now });
    }
    const newest = Math.max(...onlineRows.map((r) => r.eventTimeMs));
    try {
      if (view.online && onlineRows.length > 0) await (await this.store.onlineStore()).write(this.store.project, view, onlineRows);
    } catch (err) {
      this.release(cache, saves, touched, true);
      throw err;
    }
    const tail = async (): Promise<BatchStats> => {
      let ok: boolean[] = [];
      try {
        // Offline before the save: a crash in between replays identical rows, which a point-in-time join reads the same.
        if (offlineRows.length > 0)
          await (
            await this.store.offlineStore()
          ).appendRows((view.source as { batchSource: FileSourceSpec }).batchSource, view, offlineRows);
        ok = saves.length > 0 ? await this.states.save(view.name, saves) : [];
      } catch (err) {
        this.release(cache, saves, touched, true);
        throw err;
      }
      this.options.afterSave?.(view.name);
      const lost = new Set(saves.filter((_, i) => !ok[i]).map((s) => s.key));
      this.release(cache, saves, touched, lost.size > 0);
      for (const d of dead) await sub.deadLetter(d.m, d.reason);
      // A lost race leaves that entity's messages pending: they are claimed and folded again from the winner's state.
      const ackIds = [...dead.map((d) => d.m.id), ...keys.filter((k) => !lost.has(k)).flatMap((k) => idsOf.get(k)!)];
      if (Number.isFinite(newest)) await this.states.recordProgress(view.name, newest);
      await sub.ack(ackIds);
      const stats: BatchStats = {
        view: view.name,
        messages: msgs.length,
        applied,
        replayed,
        invalid: dead.length,
        entities: byKey.size,
        conflicts: lost.size,
      };
      this.totals.messages += msgs.length;
      this.totals.applied += applied;
      this.totals.replayed += replayed;
      this.totals.invalid += dead.length;
      this.totals.batches++;
      this.options.onBatch?.(stats);
      return stats;
    };
    const prev = this.queue.get(view.name) ?? Promise.resolve();
    const run = prev.catch(() => undefined).then(tail);
    this.queue.set(view.name, run);
    // Wrapped: an async function would otherwise wait for the promise it returns.
    return { done: run };
  }

  /** Drops cache entries with no save left in flight; on a failure, every entry (later batches saw unsaved state). */
  private release(cache: Map<string, CachedState>, saves: ReadonlyArray<{ key: string }>, touched: CachedState[], failed: boolean): void {
    if (failed) {
      cache.clear();
      return;
    }
    saves.forEach((s, i) => {
      const c = touched[i]!;
      if (--c.inflight <= 0 && cache.get(s.key) === c) cache.delete(s.key);
    });
  }

  private offlineRow(
    plan: AggregationPlan,
    key: ReadonlyArray<string | number>,
    timeMs: number,
    values: Record<string, FeatureValue>,
  ): Record<string, unknown> {
    const view = plan.view;
    const row: Record<string, unknown> = { ...values };
    view.entityColumns.forEach((c, i) => (row[c.name] = key[i]));
    const ts = view.source.type === 'stream' ? view.source.batchSource.timestampField : 'event_timestamp';
    row[ts] = new Date(timeMs);
    // Across batches, equal event times are told apart by the created time, which grows with apply order.
    const created = view.source.type === 'stream' ? view.source.batchSource.createdTimestampColumn : undefined;
    if (created) {
      this.lastCreatedMs = Math.max(Date.now(), this.lastCreatedMs + 1);
      row[created] = new Date(this.lastCreatedMs);
    }
    return row;
  }
}
