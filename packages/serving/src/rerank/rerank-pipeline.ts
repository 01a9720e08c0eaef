import type { ItemId } from '../recommend/types.js';
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
 * short while candidates remain.
 */
export function rerank(items: readonly RankedItem[], options: RerankOptions): RankedItem[] {
  let list = items.map((i) => ({ ...i, score: i.score + (options.promotions?.get(i.itemId) ?? 0) }));
  list.sort((a, b) => b.score - a.score);
  if (options.diversity?.kind === 'genre-cap') list = genreCap(list, options.diversity.maxPerGenre, options.genresOf);
  else if (options.diversity?.kind === 'mmr') list = mmr(list, options.diversity.lambda, options.genresOf, options.count);
  for (const f of options.filters ?? []) list = list.filter((i) => f.keep(i));
  const top = list.slice(0, options.count);
  const ex = options.exposure;
  if (ex && ex.tracker.coverage(ex.catalogSize, ex.timeMs) < (ex.target ?? 0.95)) {
    const slots = Math.min(ex.slots ?? 2, top.length);
    // The best-scored unexposed items beyond the cut take the last slots: tail items get seen,
    // while the head of the list (what users click most) stays as ranked.
    const fresh = list.slice(options.count).filter((i) => !ex.tracker.exposed(i.itemId, ex.timeMs)).slice(0, slots);
    for (let s = 0; s < fresh.length; s++) top[top.length - fresh.length + s] = fresh[s]!;
  }
  return top;
}

function genreCap(list: RankedItem[], max: number, genresOf: (id: ItemId) => readonly string[]): RankedItem[] {
  const used = new Map<string, number>();
  const head: RankedItem[] = [];
  const deferred: RankedItem[] = [];
  for (const item of list) {
    const genres = genresOf(item.itemId);
    if (genres.some((g) => (used.get(g) ?? 0) >= max)) {
      deferred.push(item);
      continue;
    }
    for (const g of genres) used.set(g, (used.get(g) ?? 0) + 1);
    head.push(item);
  }
  return head.concat(deferred);
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
