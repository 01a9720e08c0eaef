import type { EntityKeyValues } from '../stores/online-store.js';

/** Distinct keys a store interns per view before starting over (about 10 MB at most). */
const MAX_KEYS = 100_000;

/** Distinct entity keys of a request, and the distinct key each entity row maps to. */
export interface ViewKeys {
  keys: EntityKeyValues[];
  rowToKey: Int32Array;
}

/**
 * Deduplicates the single-join-key column of a request without garbage: hot keys (ranking
 * candidates, active users) keep one id and one key tuple across requests, and a per-request
 * stamp says whether a key was already seen in this request. A fresh Map and a tuple per key
 * made a 500-row read allocate about 65 KB, a quarter of its garbage (ADR 0024).
 */
export class KeyInterner {
  private readonly ids = new Map<string | number, number>();
  private tuples: EntityKeyValues[] = [];
  private stamp = new Int32Array(1024);
  private slot = new Int32Array(1024);
  private request = 0;

  distinct(col: ReadonlyArray<string | number>, n: number): ViewKeys {
    if (this.ids.size + n > MAX_KEYS) this.reset();
    if (++this.request === 0x7fffffff) {
      this.stamp.fill(0);
      this.request = 1;
    }
    const req = this.request;
    const rowToKey = new Int32Array(n);
    const keys = new Array<EntityKeyValues>(n);
    let count = 0;
    for (let r = 0; r < n; r++) {
      const v = col[r]!;
      let id = this.ids.get(v);
      if (id === undefined) id = this.add(v);
      if (this.stamp[id] === req) {
        rowToKey[r] = this.slot[id]!;
      } else {
        this.stamp[id] = req;
        this.slot[id] = count;
        rowToKey[r] = count;
        keys[count++] = this.tuples[id]!;
      }
    }
    if (count < n) keys.length = count;
    return { keys, rowToKey };
  }

  private add(v: string | number): number {
    const id = this.tuples.length;
    this.tuples.push([v]);
    this.ids.set(v, id);
    if (id >= this.stamp.length) {
      const stamp = new Int32Array(this.stamp.length * 2);
      stamp.set(this.stamp);
      this.stamp = stamp;
      const slot = new Int32Array(this.slot.length * 2);
      slot.set(this.slot);
      this.slot = slot;
    }
    return id;
  }

  private reset(): void {
    this.ids.clear();
    this.tuples = [];
    this.stamp.fill(0);
  }
}

const interners = new WeakMap<object, Map<string, KeyInterner>>();

/** The interner of one view for one owner (a FeatureStore). */
export function keyInternerOf(owner: object, view: string): KeyInterner {
  let byView = interners.get(owner);
  if (!byView) interners.set(owner, (byView = new Map()));
  let k = byView.get(view);
  if (!k) byView.set(view, (k = new KeyInterner()));
  return k;
}
