import calculateSlot from 'cluster-key-slot';
import type { Cluster, Redis } from 'ioredis';
import type { RedisBackend } from './redis-backend.js';
import { deleteMatchingOn, rowStatsOn } from './redis-standalone.js';
import { CONDITIONAL_SET_LUA, WRITE_BATCH } from './redis-write-script.js';

type Exec = { exec(): Promise<Array<[Error | null, unknown]> | null> };
type ScriptedPipeline = Exec & {
  mgetBuffer(keys: string[]): unknown;
  frecConditionalSet(numKeys: number, ...args: Array<string | Buffer | number>): unknown;
};

/** Key indices grouped by the node that serves them, then by slot (ADR 0021). */
function groupByNode(cluster: Cluster, keys: readonly string[]): Map<string, Map<number, number[]>> {
  const nodes = new Map<string, Map<number, number[]>>();
  for (let i = 0; i < keys.length; i++) {
    const slot = calculateSlot(keys[i]!);
    const node = cluster.slots[slot]?.join(';') ?? '?';
    let slots = nodes.get(node);
    if (!slots) nodes.set(node, (slots = new Map()));
    const idx = slots.get(slot);
    if (idx) idx.push(i);
    else slots.set(slot, [i]);
  }
  return nodes;
}

/**
 * A Redis Cluster: a request's keys are grouped by node and each node gets one pipeline (one
 * MGET per slot inside it), all nodes in parallel: one round trip per node.
 */
export class RedisClusterBackend implements RedisBackend {
  private refreshing: Promise<void> | undefined;

  constructor(readonly cluster: Cluster) {
    cluster.defineCommand('frecConditionalSet', { lua: CONDITIONAL_SET_LUA });
  }

  // After a failover, ask for the new slot map once, not once per failed request.
  private refresh(): Promise<void> {
    this.refreshing ??= new Promise<void>((resolve) => {
      (this.cluster as unknown as { refreshSlotsCache(cb: () => void): void }).refreshSlotsCache(() => resolve());
    }).finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  /**
   * Runs per-node pipelines; when the slot map moved under us (MOVED after a failover or a
   * resharding), refreshes it and regroups the keys, twice at most. The caller's deadline bounds it all.
   */
  private async runPerNode(
    keys: readonly string[],
    add: (pipe: ScriptedPipeline, idx: number[]) => void,
  ): Promise<Array<{ idx: number[]; value: unknown }>> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.runPerNodeOnce(keys, add);
      } catch (err) {
        const msg = (err as Error)?.message ?? '';
        if (attempt >= 2 || !/^(MOVED|ASK|TRYAGAIN|CLUSTERDOWN)|Connection is closed/.test(msg)) throw err;
        await this.refresh();
      }
    }
  }

  private async runPerNodeOnce(
    keys: readonly string[],
    add: (pipe: ScriptedPipeline, idx: number[]) => void,
  ): Promise<Array<{ idx: number[]; value: unknown }>> {
    const groups = groupByNode(this.cluster, keys);
    const runs: Array<Promise<Array<{ idx: number[]; value: unknown }>>> = [];
    for (const slots of groups.values()) {
      const pipe = this.cluster.pipeline() as unknown as ScriptedPipeline;
      const order: number[][] = [];
      for (const idx of slots.values()) {
        add(pipe, idx);
        order.push(idx);
      }
      runs.push(
        pipe.exec().then((res) =>
          (res ?? []).map(([err, value], j) => {
            if (err) throw err;
            return { idx: order[j]!, value };
          }),
        ),
      );
    }
    try {
      return (await Promise.all(runs)).flat();
    } catch (err) {
      void this.refresh();
      throw err;
    }
  }

  onFailure(): void {
    void this.refresh();
  }

  async getMany(keys: readonly string[]): Promise<Array<Buffer | null>> {
    const out = new Array<Buffer | null>(keys.length).fill(null);
    const parts = await this.runPerNode(keys, (pipe, idx) => pipe.mgetBuffer(idx.map((i) => keys[i]!)));
    for (const { idx, value } of parts) {
      const bufs = value as Array<Buffer | null>;
      for (let j = 0; j < idx.length; j++) out[idx[j]!] = bufs[j] ?? null;
    }
    return out;
  }

  async conditionalSet(keys: readonly string[], rows: readonly Buffer[], expireAtMs: readonly number[]): Promise<number> {
    const parts = await this.runPerNode(keys, (pipe, idx) => {
      // A script's keys must share a slot; each slot's keys go in batches.
      for (let s = 0; s < idx.length; s += WRITE_BATCH) {
        const part = idx.slice(s, s + WRITE_BATCH);
        const args: Array<string | Buffer | number> = part.map((i) => keys[i]!);
        for (const i of part) args.push(rows[i]!, expireAtMs[i]!);
        pipe.frecConditionalSet(part.length, ...args);
      }
    });
    // runPerNode pairs results with slot groups; a slot with > WRITE_BATCH keys adds results, which we sum.
    let skipped = 0;
    for (const p of parts) skipped += Number(p.value);
    return skipped;
  }

  async setIfAbsent(key: string, value: string): Promise<void> {
    await this.cluster.set(key, value, 'NX');
  }

  async deleteMatching(pattern: string): Promise<number> {
    const masters = this.cluster.nodes('master') as Redis[];
    const counts = await Promise.all(masters.map((m) => deleteMatchingOn(m, pattern, true)));
    return counts.reduce((a, b) => a + b, 0);
  }

  async rowStats(pattern: string): Promise<{ rows: number; newestEventTimeMs: number | null }> {
    const parts = await Promise.all((this.cluster.nodes('master') as Redis[]).map((m) => rowStatsOn(m, pattern)));
    const newest = parts.map((p) => p.newestEventTimeMs).filter((t): t is number => t !== null);
    return { rows: parts.reduce((a, p) => a + p.rows, 0), newestEventTimeMs: newest.length ? Math.max(...newest) : null };
  }

  async ping(): Promise<void> {
    await Promise.all((this.cluster.nodes('master') as Redis[]).map((m) => m.ping()));
  }

  async close(): Promise<void> {
    this.cluster.disconnect();
  }
}
