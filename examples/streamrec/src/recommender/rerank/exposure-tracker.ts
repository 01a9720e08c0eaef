import type { ItemId } from '../types.js';

const DAY_MS = 86_400_000;

/**
 * Counts which catalog items were shown in the last 7 days (daily buckets), so the long-tail
 * rule can push catalog coverage toward its weekly goal. Coverage is kept incrementally (a
 * count of window days per item) because the rule reads it on every request.
 */
export class ExposureTracker {
  private readonly days = new Map<number, Set<ItemId>>();
  /** Per item, in how many window days it was shown. */
  private readonly daysShown = new Map<ItemId, number>();

  constructor(private readonly windowDays = 7) {}

  /** Records that `items` were shown at `timeMs`. */
  record(items: Iterable<ItemId>, timeMs = Date.now()): void {
    const day = Math.floor(timeMs / DAY_MS);
    this.expire(day);
    let set = this.days.get(day);
    if (!set) this.days.set(day, (set = new Set()));
    for (const id of items) {
      if (set.has(id)) continue;
      set.add(id);
      this.daysShown.set(id, (this.daysShown.get(id) ?? 0) + 1);
    }
  }

  /** True when the item was shown in the window ending at `timeMs`. */
  exposed(id: ItemId, timeMs = Date.now()): boolean {
    this.expire(Math.floor(timeMs / DAY_MS));
    return this.daysShown.has(id);
  }

  /** Distinct items shown in the window, divided by `catalogSize`. */
  coverage(catalogSize: number, timeMs = Date.now()): number {
    this.expire(Math.floor(timeMs / DAY_MS));
    return catalogSize > 0 ? this.daysShown.size / catalogSize : 0;
  }

  private expire(today: number): void {
    for (const [day, set] of this.days) {
      if (day > today - this.windowDays) continue;
      for (const id of set) {
        const n = (this.daysShown.get(id) ?? 1) - 1;
        if (n > 0) this.daysShown.set(id, n);
        else this.daysShown.delete(id);
      }
      this.days.delete(day);
    }
  }
}
