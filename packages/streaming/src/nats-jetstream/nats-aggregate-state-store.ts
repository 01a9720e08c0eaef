import type { KV } from '@nats-io/kv';
import type { AggregateState, AggregateStateStore, VersionedState, ViewProgress } from '@frec/core/spi';
import { casPut, liveValue } from './nats-kv.js';
import { token } from './nats-names.js';

/** Revisions remembered per store: enough for the entities of several batches in flight. */
const KNOWN_MAX = 100_000;

/**
 * Aggregate states in a JetStream KV bucket, one key per entity, `<project>.s.<view>.<entity>`,
 * holding `{"v": version, "s": state}`. The worker counts versions 1, 2, 3...; KV counts
 * revisions (stream sequences), so the store keeps the revision of each version it read or wrote,
 * and a save is `update(key, value, revision)`, which the server refuses when anyone wrote the key
 * since: a real compare-and-set (ADR 0091).
 */
export class NatsAggregateStateStore implements AggregateStateStore {
  private readonly known = new Map<string, { v: number; rev: number }>();

  constructor(
    private readonly bucket: () => Promise<KV>,
    private readonly project: string,
  ) {}

  private key(view: string, entity: string): string {
    return `${token(this.project)}.s.${token(view)}.${token(entity)}`;
  }

  private progressKey(view: string): string {
    return `${token(this.project)}.progress.${token(view)}`;
  }

  private remember(key: string, v: number, rev: number): void {
    this.known.delete(key);
    this.known.set(key, { v, rev });
    if (this.known.size > KNOWN_MAX) this.known.delete(this.known.keys().next().value!);
  }

  async load(view: string, keys: readonly string[]): Promise<Array<VersionedState | null>> {
    if (keys.length === 0) return [];
    const kv = await this.bucket();
    return Promise.all(
      keys.map(async (k) => {
        const key = this.key(view, k);
        const e = await kv.get(key);
        const text = liveValue(e);
        if (text === null) {
          this.known.delete(key);
          return null;
        }
        const o = JSON.parse(text) as { v: number; s: AggregateState };
        this.remember(key, o.v, e!.revision);
        return { version: o.v, state: o.s };
      }),
    );
  }

  async save(view: string, entries: ReadonlyArray<{ key: string; json: string; expected: number }>): Promise<boolean[]> {
    const kv = await this.bucket();
    return Promise.all(
      entries.map(async (e) => {
        const key = this.key(view, e.key);
        let rev: number | null = null;
        if (e.expected > 0) {
          const k = this.known.get(key);
          if (k && k.v === e.expected) rev = k.rev;
          else {
            // Not read by this store (or since changed): the version must still be the expected one at the revision we write against.
            const cur = await kv.get(key);
            const text = liveValue(cur);
            if (text === null || (JSON.parse(text) as { v: number }).v !== e.expected) return false;
            rev = cur!.revision;
          }
        }
        const next = await casPut(kv, key, `{"v":${e.expected + 1},"s":${e.json}}`, rev);
        if (next === null) {
          this.known.delete(key);
          return false;
        }
        this.remember(key, e.expected + 1, next);
        return true;
      }),
    );
  }

  async recordProgress(view: string, newestEventMs: number): Promise<void> {
    const kv = await this.bucket();
    const key = this.progressKey(view);
    // Only moves forward, like the online rows; a lost race re-reads and tries again.
    for (let attempt = 0; attempt < 10; attempt++) {
      const e = await kv.get(key);
      const text = liveValue(e);
      const cur = text === null ? null : (JSON.parse(text) as { newest: number });
      const value = JSON.stringify({ newest: Math.max(cur?.newest ?? -1, newestEventMs), updated: Date.now() });
      if ((await casPut(kv, key, value, text === null ? null : e!.revision)) !== null) return;
    }
  }

  async progress(view: string): Promise<ViewProgress> {
    const text = liveValue(await (await this.bucket()).get(this.progressKey(view)));
    if (text === null) return { newestEventMs: null, updatedAtMs: null };
    const o = JSON.parse(text) as { newest: number; updated: number };
    return { newestEventMs: o.newest, updatedAtMs: o.updated };
  }

  async clear(view: string): Promise<void> {
    const kv = await this.bucket();
    const keys: string[] = [];
    for await (const k of await kv.keys(`${token(this.project)}.s.${token(view)}.>`)) keys.push(k);
    for (const k of [...keys, this.progressKey(view)]) await kv.purge(k);
    this.known.clear();
  }

  /** The connection belongs to the broker. */
  async close(): Promise<void> {}
}
