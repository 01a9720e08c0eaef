import type { ItemId } from '../types.js';
import type { ExposureTracker } from './exposure-tracker.js';

/** A ranked item entering re-ranking. */
export interface RankedItem {
  itemId: ItemId;
  score: number;
  sources: string[];
}

/** A named business filter; items for which `keep` is false never reach the response. */
export interface ItemFilter {
  name: string;
  keep(item: RankedItem): boolean;
}

/** Diversity rule: at most `maxPerGenre` items per genre among the returned items, or MMR. */
export type DiversityRule = { kind: 'genre-cap'; maxPerGenre: number } | { kind: 'mmr'; lambda: number };

/** Options of the re-ranking pipeline. */
export interface RerankOptions {
  count: number;
  genresOf: (id: ItemId) => readonly string[];
  /** Additive score boosts for promoted items. */
  promotions?: ReadonlyMap<ItemId, number>;
  diversity?: DiversityRule;
  filters?: readonly ItemFilter[];
  /** Long-tail exposure: while weekly coverage is under `target`, `slots` positions go to unexposed items. */
  exposure?: { tracker: ExposureTracker; catalogSize: number; target?: number; slots?: number; timeMs?: number };
}

/** The order in which rules apply; stated once so code, docs and tests agree. */
export const RERANK_ORDER = ['promotions', 'diversity', 'filters', 'long_tail_exposure'] as const;

/**
 * Applies business rules in a fixed order: promotional boosts, then diversity, then filters,
 * then the long-tail exposure rule, and cuts to `count`. Diversity only reorders (items over
 * a cap move down rather than out) so that the filters that follow can never leave the list
 * short while candidates remain. The genre cap and the filters run lazily, in one pass over
 * the items sorted once, and stop as soon as the response and its exposure slots are filled:
 * the result is the same as applying each rule to the whole list.
 */
export function rerank(items: readonly RankedItem[], options: RerankOptions): RankedItem[] {
  const n = items.length;
  const promotions = options.promotions;
  const scores = new Float64Array(n);
  for (let i = 0; i < n; i++) scores[i] = items[i]!.score + (promotions?.get(items[i]!.itemId) ?? 0);
  const order = new Array<number>(n);
  for (let i = 0; i < n; i++) order[i] = i;
  // Stable, like sorting the items themselves: equal scores keep their input order.
  order.sort((a, b) => scores[b]! - scores[a]!);
  const copy = (i: number): RankedItem => ({ ...items[i]!, score: scores[i]! });
  if (options.diversity?.kind === 'mmr')
    return cutAndExpose(mmr(order.map(copy), options.diversity.lambda, options.genresOf, options.count), options);

  const count = options.count;
  const filters = options.filters ?? [];
  const ex = options.exposure;
  const wantFresh = ex && ex.tracker.coverage(ex.catalogSize, ex.timeMs) < (ex.target ?? 0.95) ? Math.min(ex.slots ?? 2, count) : 0;
  const top: RankedItem[] = [];
  const fresh: RankedItem[] = [];
  // Takes the next item of the (diversified) order; true once nothing more is needed.
  const take = (i: number): boolean => {
    const item = copy(i);
    for (const f of filters) if (!f.keep(item)) return false;
    if (top.length < count) {
      top.push(item);
      return top.length === count && wantFresh === 0;
    }
    // The best-scored unexposed items beyond the cut take the last slots (see cutAndExpose).
    if (!ex!.tracker.exposed(item.itemId, ex!.timeMs)) fresh.push(item);
    return fresh.length >= wantFresh;
  };
  let done = count === 0;
  if (options.diversity?.kind === 'genre-cap') {
    const max = options.diversity.maxPerGenre;
    const used = new Map<string, number>();
    const deferred: number[] = [];
    for (let k = 0; k < n && !done; k++) {
      const i = order[k]!;
      const genres = options.genresOf(items[i]!.itemId);
      let capped = false;
      for (const g of genres) if ((used.get(g) ?? 0) >= max) capped = true;
      if (capped) {
        deferred.push(i);
        continue;
      }
      for (const g of genres) used.set(g, (used.get(g) ?? 0) + 1);
      done = take(i);
    }
    for (let k = 0; k < deferred.length && !done; k++) done = take(deferred[k]!);
  } else {
    for (let k = 0; k < n && !done; k++) done = take(order[k]!);
  }
  for (let s = 0; s < fresh.length; s++) top[top.length - fresh.length + s] = fresh[s]!;
  return top;
}

/** Filters, cut and long-tail exposure over a fully materialised list (the MMR path). */
function cutAndExpose(diversified: RankedItem[], options: RerankOptions): RankedItem[] {
  let list = diversified;
  for (const f of options.filters ?? []) list = list.filter((i) => f.keep(i));
  const top = list.slice(0, options.count);
  const ex = options.exposure;
  if (ex && ex.tracker.coverage(ex.catalogSize, ex.timeMs) < (ex.target ?? 0.95)) {
    const slots = Math.min(ex.slots ?? 2, top.length);
    // The best-scored unexposed items beyond the cut take the last slots: tail items get seen,
    // while the head of the list (what users click most) stays as ranked.
    const fresh = list
      .slice(options.count)
      .filter((i) => !ex.tracker.exposed(i.itemId, ex.timeMs))
      .slice(0, slots);
    for (let s = 0; s < fresh.length; s++) top[top.length - fresh.length + s] = fresh[s]!;
  }
  return top;
}

function mmr(list: RankedItem[], lambda: number, genresOf: (id: ItemId) => readonly string[], count: number): RankedItem[] {
  // MMR over a window a few times the response size: beyond it the order no longer matters.
  const window = list.slice(0, Math.max(count * 4, 50));
  const rest = list.slice(window.length);
  const max = window[0]?.score ?? 1;
  const min = window[window.length - 1]?.score ?? 0;
  const norm = (s: number): number => (max > min ? (s - min) / (max - min) : 1);
  const sets = new Map(window.map((i) => [i.itemId, new Set(genresOf(i.itemId))]));
  const chosen: RankedItem[] = [];
  const left = [...window];
  while (left.length > 0) {
    let bestIdx = 0;
    let bestVal = -Infinity;
    for (let i = 0; i < left.length; i++) {
      const a = sets.get(left[i]!.itemId)!;
      let sim = 0;
      for (const c of chosen) sim = Math.max(sim, jaccard(a, sets.get(c.itemId)!));
      const v = lambda * norm(left[i]!.score) - (1 - lambda) * sim;
      if (v > bestVal) {
        bestVal = v;
        bestIdx = i;
      }
    }
    chosen.push(left.splice(bestIdx, 1)[0]!);
    if (chosen.length >= count * 2) break;
  }
  return chosen.concat(left, rest);
}

function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  if (a.size === 0 && b.size === 0) return 0;
  let inter = 0;
  for (const x of a) if (b.has(x)) inter++;
  return inter / (a.size + b.size - inter);
}
