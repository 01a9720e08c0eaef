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
  featuresAt,
  featuresOf,
  planAggregations,
  rowTimesSince,
  wasApplied,
  type AggregateState,
  type AggregationPlan,
} from './aggregate-state.js';
import { decodeTileRows, recentStorageSpec } from '../aggregations/recent-row.js';
import { planTiles, tileStorageSpec, TILES_COLUMN, type TileState } from '../aggregations/tiles.js';
import { createdColumnOf } from './offline-rows.js';
import { keyString, parseEvent } from './parse-event.js';
import { foldTiledBatch, newTileState, tiledOnlineRow, type TiledGroup } from './tiled-batch.js';
import { partitionsOf } from './partitions.js';
import {
  groupOf,
  type AggregateStateStore,
  type PartitionLeases,
  type StreamBroker,
  type StreamMessage,
  type StreamSubscription,
  type VersionedState,
} from './stream-source.js';

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
  /** Partitioned sources: how long a partition lease lasts unrenewed, so how soon a dead worker's partitions move (default 10000; renewed every third of it). */
  leaseMs?: number;
  /** Called after each batch is acknowledged. */
  onBatch?: (stats: BatchStats) => void;
  /** Partitioned sources: called when this worker starts or stops owning a partition. */
  onPartitions?: (view: string, owned: readonly number[]) => void;
  /** Called for an error that does not stop the worker (a store hiccup; the batch is replayed). */
  onError?: (err: unknown, view: string) => void;
  /** The wall clock rows' created times start from (default Date.now); tests inject one that is behind another worker's. */
  clock?: () => number;
}

/** What one processed batch did. */
export interface BatchStats {
  view: string;
  /** The partition it came from (undefined: an unpartitioned source). */
  partition?: number;
  messages: number;
  applied: number;
  replayed: number;
  invalid: number;
  entities: number;
  /** Entities whose state save lost a race; their messages stay pending and are claimed again. */
  conflicts: number;
  /** Aggregation views: events dropped as later than the allowed lateness. */
  late?: number;
}

/** Running totals of a worker. */
export interface WorkerTotals {
  messages: number;
  applied: number;
  replayed: number;
  invalid: number;
  batches: number;
  /** Aggregation views: events dropped as later than the allowed lateness. */
  late?: number;
}

/** A state this worker folded: later batches continue from it instead of the store (see `statesOf`). */
interface CachedState {
  state: AggregateState;
  /** The version the store holds once every queued save of this entity succeeds. */
  version: number;
  inflight: number;
  /**
   * Set when a save folded from this state lost its race or failed: a later batch in flight that folded on top of
   * it must not save either, since its version number could match the winner's and overwrite the winner's events.
   */
  broken?: boolean;
}

/**
 * Saved states a worker keeps in memory between batches, over all its lanes (the state load was a round trip and a JSON
 * parse per entity per batch; docs/profiles/stream-worker.md); the bound caps the heap they take.
 */
const STATE_CACHE_MAX = 20_000;

/** One batch's offline rows and, once a tail has taken them into an append, that append. */
interface PendingRows {
  rows: Array<Record<string, unknown>>;
  written?: Promise<unknown>;
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
  /** Per lane (a view, or one partition of it): states whose save is still in flight. */
  private readonly caches = new Map<string, Map<string, CachedState>>();
  private readonly owned = new Map<string, Set<number>>();

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

  /** The partitions of a partitioned view this worker owns now, sorted. */
  ownedPartitions(view: string): number[] {
    return [...(this.owned.get(view) ?? [])].sort((a, b) => a - b);
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
    if (partitionsOf(view) === 1) return this.runLane(view, undefined, () => this.stopping);
    return this.runPartitioned(view);
  }

  /**
   * Shares a partitioned view's partitions with the other live workers of its group (ADR 0090):
   * every tick it renews its leases, gives up partitions above its fair share (ceil(K / live
   * workers)) after draining them, and takes free ones up to that share. A partition whose lease
   * cannot be renewed is stopped at once; a dead worker's partitions are free after one lease TTL.
   */
  private async runPartitioned(view: FeatureViewSpec): Promise<void> {
    const k = partitionsOf(view);
    const leaseMs = Math.max(300, this.options.leaseMs ?? 10_000);
    const leases: PartitionLeases = this.broker.leases(groupOf(this.store.project, view), leaseMs);
    const lanes = new Map<number, { stop: boolean; done: Promise<void> }>();
    const owned = new Set<number>();
    this.owned.set(view.name, owned);
    const changed = (): void => this.options.onPartitions?.(view.name, this.ownedPartitions(view.name));
    const stopLane = async (p: number, release: boolean): Promise<void> => {
      const lane = lanes.get(p);
      if (!lane) return;
      lane.stop = true;
      await lane.done;
      lanes.delete(p);
      owned.delete(p);
      // Released only once its batches are acknowledged, so the next owner starts where this one ended.
      if (release) await leases.release(p, this.consumer).catch(() => undefined);
      changed();
    };
    const renewed = new Map<number, number>();
    const startLane = (p: number): void => {
      renewed.set(p, Date.now());
      const lane = { stop: false, done: Promise.resolve() };
      lane.done = this.runLane(view, p, () => this.stopping || lane.stop, true)
        .catch((err) => this.options.onError?.(err, view.name))
        .finally(() => {
          // A lane that ended by itself (its subscription failed) gives the partition up, to be taken again on a later tick.
          if (lane.stop || this.stopping || lanes.get(p) !== lane) return;
          lanes.delete(p);
          owned.delete(p);
          void leases.release(p, this.consumer).catch(() => undefined);
          changed();
        });
      lanes.set(p, lane);
      owned.add(p);
      changed();
    };
    // Workers start their scan at different partitions, so they rarely race for the same free one.
    const offset = [...this.consumer].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7) % k;
    try {
      while (!this.stopping) {
        try {
          const members = await leases.heartbeat(this.consumer);
          const share = Math.ceil(k / Math.max(1, members.length));
          for (const p of [...lanes.keys()]) {
            if (await leases.acquire(p, this.consumer)) renewed.set(p, Date.now());
            else await stopLane(p, false);
          }
          const surplus = [...lanes.keys()].sort((a, b) => b - a).slice(0, Math.max(0, lanes.size - share));
          await Promise.all(surplus.map((p) => stopLane(p, true)));
          if (lanes.size < share) {
            const owners = await leases.owners(k);
            for (let i = 0; i < k && lanes.size < share && !this.stopping; i++) {
              const p = (offset + i) % k;
              if (owners[p] === null && !lanes.has(p) && (await leases.acquire(p, this.consumer))) startLane(p);
            }
          }
        } catch (err) {
          this.options.onError?.(err, view.name);
          // Leases we could not renew for a whole TTL may be another worker's by now: stop those partitions.
          for (const p of [...lanes.keys()]) if (Date.now() - (renewed.get(p) ?? 0) > leaseMs) await stopLane(p, false);
        }
        await this.sleep(leaseMs / 3);
      }
    } finally {
      await Promise.all([...lanes.keys()].map((p) => stopLane(p, true)));
      await leases.leave(this.consumer).catch(() => undefined);
      await leases.close().catch(() => undefined);
    }
  }

  /** Waits, waking early when the worker is stopped. */
  private async sleep(ms: number): Promise<void> {
    const end = Date.now() + ms;
    while (!this.stopping && Date.now() < end) await new Promise((r) => setTimeout(r, Math.min(50, end - Date.now())));
  }

  /**
   * Consumes one lane: the view's unpartitioned topic, or one partition of it. A newly owned
   * partition first takes over whatever the group still holds unacknowledged there (a dead or
   * former owner's messages), without waiting for them to go idle: its lease says nobody else
   * processes that partition, and the state's compare-and-set covers an owner that lost its lease
   * mid-batch.
   */
  private async runLane(view: FeatureViewSpec, partition: number | undefined, done: () => boolean, takeOver = false): Promise<void> {
    if (view.source.type !== 'stream') return;
    const sub = await this.broker.subscribe({
      topic: view.source.topic,
      group: groupOf(this.store.project, view),
      consumer: this.consumer,
      ...(partition === undefined ? {} : { partition }),
    });
    this.subs.push(sub);
    const lane = partition === undefined ? view.name : `${view.name}\u0000${partition}`;
    // A partition owned again may have been another worker's meanwhile: nothing kept from before is trusted.
    this.caches.get(lane)?.clear();
    const plan = planAggregations(view);
    const batchSize = this.options.batchSize ?? 2000;
    const claimIdleMs = this.options.claimIdleMs ?? 30_000;
    const maxInFlight = Math.max(1, this.options.maxInFlight ?? 4);
    const tails: Array<Promise<unknown>> = [];
    let nextClaim = 0;
    let takingOver = takeOver;
    const fail = async (err: unknown): Promise<void> => {
      // Whatever was not acknowledged is replayed from the saved states, so forget the unsaved ones.
      this.caches.get(lane)?.clear();
      if (done()) return;
      this.options.onError?.(err, view.name);
      nextClaim = 0;
      await new Promise((r) => setTimeout(r, 200));
    };
    try {
      while (!done()) {
        try {
          let msgs: StreamMessage[] = [];
          if (Date.now() >= nextClaim && tails.length === 0) {
            msgs = await sub.claimStale({ minIdleMs: takingOver ? 0 : claimIdleMs, count: batchSize });
            if (msgs.length === 0) takingOver = false;
            if (!takingOver) nextClaim = Date.now() + Math.min(claimIdleMs, 5000);
          }
          // With batches in flight, poll instead of blocking so their acknowledgements are not held up.
          if (msgs.length === 0)
            msgs = await sub.read({ count: batchSize, blockMs: tails.length > 0 ? 1 : (this.options.blockMs ?? 1000) });
          if (msgs.length > 0) {
            const tail = (await this.startBatch(plan, sub, msgs, partition)).done.catch(fail);
            tails.push(tail);
            void tail.finally(() => tails.splice(tails.indexOf(tail), 1));
          }
          if (tails.length >= maxInFlight || (msgs.length === 0 && tails.length > 0)) await tails[0];
        } catch (err) {
          await fail(err);
        }
      }
      await Promise.allSettled(tails);
    } finally {
      if (partition !== undefined) {
        this.subs.splice(this.subs.indexOf(sub), 1);
        await sub.close().catch(() => undefined);
      }
    }
  }

  /** Applies one batch of messages to one view and resolves once it is acknowledged. */
  async processBatch(plan: AggregationPlan, sub: StreamSubscription, msgs: readonly StreamMessage[]): Promise<BatchStats> {
    return (await this.startBatch(plan, sub, msgs)).done;
  }

  /** Per lane, the tail of the latest batch: tails run one after another, in read order. */
  private readonly queue = new Map<string, Promise<unknown>>();

  /**
   * Folds a batch and writes it online; returns the batch's tail (offline append, state save,
   * acknowledgement), queued behind the tails of earlier batches of the same view.
   */
  private async startBatch(
    plan: AggregationPlan,
    sub: StreamSubscription,
    msgs: readonly StreamMessage[],
    partition?: number,
  ): Promise<{ done: Promise<BatchStats> }> {
    const view = plan.view;
    if (view.tiling) return this.startTiledBatch(view, sub, msgs, partition);
    const lane = partition === undefined ? view.name : `${view.name}\u0000${partition}`;
    const byKey = new Map<
      string,
      { key: Array<string | number>; events: Array<{ id: string; timeMs: number; values: Record<string, unknown> }> }
    >();
    const dead: Array<{ m: StreamMessage; reason: string }> = [];
    for (const m of msgs) {
      const p = parseEvent(view, m.fields);
      if ('error' in p) {
        dead.push({ m, reason: `${p.error} (feature view '${view.name}')` });
        continue;
      }
      const k = keyString(p.key);
      let g = byKey.get(k);
      if (!g) byKey.set(k, (g = { key: p.key, events: [] }));
      g.events.push({ id: m.id, timeMs: p.event.timeMs, values: p.event.values });
    }
    let cache = this.caches.get(lane);
    if (!cache) this.caches.set(lane, (cache = new Map()));
    const keys = [...byKey.keys()];
    const { cached, missing, loaded } = await this.statesOf(view, cache, keys, partition !== undefined);
    const fromStore = new Map<string, VersionedState | null | undefined>();
    for (let i = 0; i < missing.length; i++) fromStore.set(missing[i]!, loaded[i]);
    const writeOffline = (this.options.writeOffline ?? view.offline) && view.source.type === 'stream';
    const saves: Array<{ key: string; json: string; expected: number }> = [];
    const offlineRows: Array<Record<string, unknown>> = [];
    const onlineRows: OnlineWriteRow[] = [];
    const touched: CachedState[] = [];
    const now = this.batchCreated();
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
      // Per distinct event time, the features as of it: an event sets its own time's row and, when late,
      // rewrites the rows after it within the allowed lateness; a tie rewrites its time's row. The
      // newer created time makes these rows win over the ones they correct (ADR 0031).
      const rows = writeOffline ? new Map<number, Record<string, FeatureValue>>() : undefined;
      for (const e of g.events) {
        if (wasApplied(c.state, e.id)) {
          replayed++;
          continue;
        }
        applyEvent(plan, c.state, e, e.id);
        applied++;
        changed = true;
        if (rows) for (const t of rowTimesSince(plan, c.state, e.timeMs)) rows.set(t, featuresAt(plan, c.state, t));
      }
      const created = changed ? this.createdFor(now, c.state) : (c.state.createdMs ?? now);
      if (rows) for (const [t, values] of rows) offlineRows.push(this.offlineRow(plan, g.key, t, values, created));
      if (changed) {
        // Serialized once written online (below), off the path to freshness.
        saves.push({ key: k, json: '', expected: c.version });
        c.version++;
        c.inflight++;
        cache.set(k, c);
        touched.push(c);
      }
      // Written even for a pure replay: it repairs a crash that fell after the write and before the save.
      if (c.state.maxTimeMs !== null)
        onlineRows.push({ key: g.key, values: featuresOf(plan, c.state), eventTimeMs: c.state.maxTimeMs, createdTimeMs: created });
    }
    const newest = Math.max(...onlineRows.map((r) => r.eventTimeMs));
    try {
      if (view.online && onlineRows.length > 0) await (await this.store.onlineStore()).write(this.store.project, view, onlineRows);
    } catch (err) {
      this.release(cache, saves, touched, true);
      throw err;
    }
    // A snapshot: later batches keep folding into these states while this save waits its turn. Nothing
    // folds during the online write (the read loop awaits startBatch), so it is the state this batch left.
    for (let i = 0; i < saves.length; i++) saves[i]!.json = JSON.stringify(touched[i]!.state);
    const appendable: PendingRows = { rows: offlineRows };
    if (offlineRows.length > 0) this.pendingRowsOf(lane).push(appendable);
    const tail = async (): Promise<BatchStats> => {
      const lost = await this.saveAndAck(
        view,
        sub,
        cache,
        { saves, touched, dead, keys, idsOf: (k) => byKey.get(k)!.events.map((e) => e.id), newest },
        async () => {
          // Offline before the save: a crash in between replays identical rows, which a point-in-time join reads the same.
          if (offlineRows.length > 0) await this.appendOffline(lane, view, appendable);
        },
      );
      const stats: BatchStats = {
        view: view.name,
        ...(partition === undefined ? {} : { partition }),
        messages: msgs.length,
        applied,
        replayed,
        invalid: dead.length,
        entities: byKey.size,
        conflicts: lost.size,
      };
      return this.recordBatch(stats);
    };
    // Wrapped: an async function would otherwise wait for the promise it returns.
    return { done: this.enqueue(lane, tail) };
  }

  /**
   * startBatch for an aggregation view: the same pipeline (fold, write online at once, then in order
   * save the states and acknowledge), with tile states (tiled-batch.ts). An entity the state store
   * does not know starts from its online row, so a stream started after a batch materialization
   * continues the batch's tiles; the row's remembered IDs keep a replay from counting twice.
   */
  private async startTiledBatch(
    view: FeatureViewSpec,
    sub: StreamSubscription,
    msgs: readonly StreamMessage[],
    partition?: number,
  ): Promise<{ done: Promise<BatchStats> }> {
    const lane = partition === undefined ? view.name : `${view.name}\u0000${partition}`;
    const groups = new Map<string, TiledGroup>();
    const dead: Array<{ m: StreamMessage; reason: string }> = [];
    for (const m of msgs) {
      const p = parseEvent(view, m.fields);
      if ('error' in p) {
        dead.push({ m, reason: `${p.error} (feature view '${view.name}')` });
        continue;
      }
      const k = keyString(p.key);
      let g = groups.get(k);
      if (!g) groups.set(k, (g = { key: p.key, events: [] }));
      g.events.push({ id: m.id, timeMs: p.event.timeMs, values: p.event.values });
    }
    let cache = this.caches.get(lane);
    if (!cache) this.caches.set(lane, (cache = new Map()));
    const keys = [...groups.keys()];
    const { cached, missing, loaded } = await this.statesOf(view, cache, keys, partition !== undefined);
    const online = await this.store.onlineStore();
    const unknown = missing.filter((_, i) => !loaded[i]);
    const seeds = new Map<string, TileState>();
    if (unknown.length > 0) {
      const ks = unknown.map((k) => groups.get(k)!.key);
      // The recent row too (recent-row.ts): once the stream owns the base row, reads ignore the recent one.
      const [read, recent] = await online.readColumnsMany(this.store.project, [
        { view: tileStorageSpec(view), keys: ks, features: [TILES_COLUMN] },
        { view: recentStorageSpec(view), keys: ks, features: [TILES_COLUMN] },
      ]);
      unknown.forEach((k, i) => {
        const st = decodeTileRows(planTiles(view), read!.values[0]![i], recent!.values[0]![i], true);
        if (!st) return;
        // From now on the stream owns this row: batch incremental runs leave rows without a watermark alone.
        delete st.wm;
        seeds.set(k, st);
      });
    }
    const entries = new Map<string, CachedState>();
    keys.forEach((k) => {
      let c = cached.get(k);
      if (!c) {
        const s = loaded[missing.indexOf(k)];
        const st = s ? (s.state as unknown as TileState) : (seeds.get(k) ?? newTileState(view));
        c = { state: st as unknown as AggregateState, version: s?.version ?? 0, inflight: 0 };
      }
      entries.set(k, c);
    });
    const states = new Map(keys.map((k) => [k, entries.get(k)!.state as unknown as TileState]));
    const fold = await foldTiledBatch(await this.store.offlineStore(), view, groups, states);
    const saves: Array<{ key: string; json: string; expected: number }> = [];
    const touched: CachedState[] = [];
    const onlineRows: OnlineWriteRow[] = [];
    const now = this.batchCreated();
    for (const k of keys) {
      const c = entries.get(k)!;
      const st = states.get(k)!;
      let created = st.createdMs ?? now;
      if (fold.changed.has(k)) {
        created = st.createdMs = Math.max(now, (st.createdMs ?? 0) + 1);
        this.lastCreatedMs = Math.max(this.lastCreatedMs, created);
        saves.push({ key: k, json: JSON.stringify(st), expected: c.version });
        c.version++;
        c.inflight++;
        cache.set(k, c);
        touched.push(c);
      }
      if (st.maxT !== null) onlineRows.push(tiledOnlineRow(view, groups.get(k)!.key, st, created));
    }
    const newest = Math.max(...onlineRows.map((r) => r.eventTimeMs));
    try {
      if (view.online && onlineRows.length > 0) await online.write(this.store.project, tileStorageSpec(view), onlineRows);
    } catch (err) {
      this.release(cache, saves, touched, true);
      throw err;
    }
    const tail = async (): Promise<BatchStats> => {
      const lost = await this.saveAndAck(view, sub, cache, {
        saves,
        touched,
        dead,
        keys,
        idsOf: (k) => groups.get(k)!.events.map((e) => e.id),
        newest,
      });
      const stats: BatchStats = {
        view: view.name,
        ...(partition === undefined ? {} : { partition }),
        messages: msgs.length,
        applied: fold.applied,
        replayed: fold.replayed,
        invalid: dead.length,
        entities: groups.size,
        conflicts: lost.size,
        late: fold.late,
      };
      return this.recordBatch(stats);
    };
    return { done: this.enqueue(lane, tail) };
  }

  /** Per lane, the offline rows of batches written online whose rows no append has taken yet, in batch order. */
  private readonly pendingRows = new Map<string, PendingRows[]>();

  private pendingRowsOf(lane: string): PendingRows[] {
    let rows = this.pendingRows.get(lane);
    if (!rows) this.pendingRows.set(lane, (rows = []));
    return rows;
  }

  /**
   * Appends a batch's offline rows, together with those of every later batch already folded, as one
   * append; the later batches' tails then find theirs written. One Parquet file per batch made the
   * offline store the worker's bound (docs/profiles/stream-worker.md). Each tail still waits for
   * its rows before saving its states, so a crash leaves at worst rows whose events are replayed,
   * which the replay writes again identically.
   */
  private async appendOffline(lane: string, view: FeatureViewSpec, own: PendingRows): Promise<void> {
    if (!own.written) {
      const group = this.pendingRowsOf(lane).splice(0);
      // A tail runs after every earlier batch's tail, so its rows are still queued unless one of those took them.
      if (!group.includes(own)) group.push(own);
      const rows = group.length === 1 ? own.rows : group.flatMap((g) => g.rows);
      const written = this.store
        .offlineStore()
        .then((off) => off.appendRows((view.source as { batchSource: FileSourceSpec }).batchSource, view, rows));
      written.catch(() => undefined);
      for (const g of group) g.written = written;
    }
    await own.written;
  }

  /** Runs a batch's ordered half after the lane's earlier batches, whatever their outcome. */
  private enqueue(lane: string, tail: () => Promise<BatchStats>): Promise<BatchStats> {
    const prev = this.queue.get(lane) ?? Promise.resolve();
    const run = prev.catch(() => undefined).then(tail);
    this.queue.set(lane, run);
    return run;
  }

  /** Adds a finished batch to the worker's totals and reports it. */
  private recordBatch(stats: BatchStats): BatchStats {
    this.totals.messages += stats.messages;
    this.totals.applied += stats.applied;
    this.totals.replayed += stats.replayed;
    this.totals.invalid += stats.invalid;
    if (stats.late !== undefined) this.totals.late = (this.totals.late ?? 0) + stats.late;
    this.totals.batches++;
    this.options.onBatch?.(stats);
    return stats;
  }

  /**
   * The ordered half of a batch, shared by both view kinds: run `beforeSave` (the offline append),
   * save the states by compare-and-set, mark what lost its race, dead-letter the invalid messages and
   * acknowledge the rest. Returns the keys whose save lost.
   */
  private async saveAndAck(
    view: FeatureViewSpec,
    sub: StreamSubscription,
    cache: Map<string, CachedState>,
    batch: {
      saves: Array<{ key: string; json: string; expected: number }>;
      touched: CachedState[];
      dead: Array<{ m: StreamMessage; reason: string }>;
      keys: string[];
      idsOf: (key: string) => string[];
      newest: number;
    },
    beforeSave?: () => Promise<void>,
  ): Promise<Set<string>> {
    const { saves, touched, dead } = batch;
    let ok: boolean[] = [];
    try {
      await beforeSave?.();
      // Decided now, after the earlier batches' saves: one of them may have lost the state this one folded on.
      const doomed = touched.map((c) => c.broken === true);
      const live = saves.filter((_, i) => !doomed[i]);
      const res = live.length > 0 ? await this.states.save(view.name, live) : [];
      let j = 0;
      ok = saves.map((_, i) => (doomed[i] ? false : res[j++] === true));
    } catch (err) {
      for (const c of touched) c.broken = true;
      this.release(cache, saves, touched, true);
      throw err;
    }
    saves.forEach((_, i) => {
      if (!ok[i]) touched[i]!.broken = true;
    });
    this.options.afterSave?.(view.name);
    const lost = new Set(saves.filter((_, i) => !ok[i]).map((s) => s.key));
    this.release(cache, saves, touched, lost.size > 0);
    for (const d of dead) await sub.deadLetter(d.m, d.reason);
    // A lost race leaves that entity's messages pending: they are claimed and folded again from the winner's state.
    const ackIds = dead.map((d) => d.m.id);
    for (const k of batch.keys) if (!lost.has(k)) for (const id of batch.idsOf(k)) ackIds.push(id);
    // Sent together, one round trip instead of two: the progress mark is bookkeeping for freshness(), which no replay depends on.
    await Promise.all([Number.isFinite(batch.newest) ? this.states.recordProgress(view.name, batch.newest) : undefined, sub.ack(ackIds)]);
    return lost;
  }

  /**
   * The states a batch folds on: `cached` from this worker's memory, the rest (`missing`) as the
   * store returned them (`loaded`, same order). A state whose save is still in flight is this
   * worker's newest by construction. A state kept from an earlier, saved batch is trusted as it is on
   * a partition this worker holds the lease of (`owned`: nobody else writes it; a lost lease or a
   * race still fails the compare-and-set, which clears the cache); on a shared lane its version is
   * checked in the same round trip that loads the others, so an unchanged state is neither sent
   * nor parsed again. Taken before the load: an earlier batch's save may finish meanwhile, and
   * the entry stays valid.
   */
  private async statesOf(
    view: FeatureViewSpec,
    cache: Map<string, CachedState>,
    keys: readonly string[],
    owned: boolean,
  ): Promise<{ cached: Map<string, CachedState>; missing: string[]; loaded: Array<VersionedState | null> }> {
    const cached = new Map<string, CachedState>();
    const missing: string[] = [];
    const kept: string[] = [];
    for (const k of keys) {
      const c = cache.get(k);
      if (!c) missing.push(k);
      else if (c.inflight > 0 || owned) cached.set(k, c);
      else kept.push(k);
    }
    if (kept.length > 0 && !this.states.loadChanged) missing.push(...kept.splice(0));
    if (kept.length === 0) return { cached, missing, loaded: await this.states.load(view.name, missing) };
    const ask = missing.concat(kept);
    const known = ask.map((k, i) => (i < missing.length ? -1 : cache.get(k)!.version));
    const res = await this.states.loadChanged!(view.name, ask, known);
    const loaded: Array<VersionedState | null> = [];
    for (let i = 0; i < missing.length; i++) loaded.push(res[i] ?? null);
    for (let i = missing.length; i < ask.length; i++) {
      const k = ask[i]!;
      const r = res[i];
      if (r === undefined) cached.set(k, cache.get(k)!);
      else {
        // Another worker saved it since: fold on the store's state, not on the kept one.
        cache.delete(k);
        missing.push(k);
        loaded.push(r);
      }
    }
    return { cached, missing, loaded };
  }

  /**
   * After a batch's saves: on a failure drops every entry (later batches saw unsaved state);
   * otherwise keeps the saved states for the next batches, the least recently saved dropped beyond
   * the lane's share of STATE_CACHE_MAX.
   */
  private release(cache: Map<string, CachedState>, saves: ReadonlyArray<{ key: string }>, touched: CachedState[], failed: boolean): void {
    if (failed) {
      cache.clear();
      return;
    }
    saves.forEach((s, i) => {
      const c = touched[i]!;
      c.inflight--;
      if (cache.get(s.key) === c) {
        // Re-inserted: Map order is then least recently saved first.
        cache.delete(s.key);
        cache.set(s.key, c);
      }
    });
    // The bound is the worker's, shared by its lanes (partitions).
    const max = Math.max(1000, Math.floor(STATE_CACHE_MAX / Math.max(1, this.caches.size)));
    if (cache.size <= max) return;
    for (const [k, c] of cache) {
      if (cache.size <= max) break;
      if (c.inflight <= 0) cache.delete(k);
    }
  }

  private offlineRow(
    plan: AggregationPlan,
    key: ReadonlyArray<string | number>,
    timeMs: number,
    values: Record<string, FeatureValue>,
    createdMs: number,
  ): Record<string, unknown> {
    const view = plan.view;
    // featuresAt returns a fresh object per call: it becomes the row instead of being copied into one.
    const row: Record<string, unknown> = values;
    view.entityColumns.forEach((c, i) => (row[c.name] = key[i]));
    const ts = view.source.type === 'stream' ? view.source.batchSource.timestampField : 'event_timestamp';
    row[ts] = new Date(timeMs);
    const created = createdColumnOf(view);
    if (created) row[created] = new Date(createdMs);
    return row;
  }

  /**
   * One created time per batch, later than this worker's previous batch: a batch holds at most one row per
   * entity and time, so rows need no time of their own, and the clock does not run ahead of the wall.
   */
  private batchCreated(): number {
    this.lastCreatedMs = Math.max((this.options.clock ?? Date.now)(), this.lastCreatedMs + 1);
    return this.lastCreatedMs;
  }

  /**
   * An entity's created time in this batch: later than the one its saved state records too, so a rewritten
   * row wins over the row it corrects whichever worker (and clock) wrote that one (ADR 0031).
   */
  private createdFor(batchMs: number, state: AggregateState): number {
    const created = Math.max(batchMs, (state.createdMs ?? 0) + 1);
    state.createdMs = created;
    this.lastCreatedMs = Math.max(this.lastCreatedMs, created);
    return created;
  }
}
