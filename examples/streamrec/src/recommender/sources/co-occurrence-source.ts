import type { RetrievalContext, RetrievalSource } from './retrieval-source.js';
import type { ItemId, ScoredItem } from '../types.js';
import { buildCoOccurrenceTable } from './co-occurrence-table.js';

/** Options for building the co-occurrence table. */
export interface CoOccurrenceOptions {
  /** Items within this many positions of each other in a user's history co-occur (default 5). */
  window?: number;
  /** Neighbours kept per item (default 50). */
  neighbours?: number;
  /** Items of the user's history used per request (default 10: the "last 10 items" feature). */
  recent?: number;
  version?: string;
}

/**
 * Item-to-item co-occurrence: items that appear near each other in users' time-ordered
 * histories, normalised by popularity (cosine of co-occurrence counts) so blockbusters do not
 * become everyone's neighbour. Candidates are the neighbours of the user's last items.
 */
export class CoOccurrenceSource implements RetrievalSource {
  readonly name = 'co_occurrence';
  readonly version: string;
  private readonly recent: number;
  /** Dense row of every item that appears in the table (as an item or a neighbour). */
  private readonly row = new Map<ItemId, number>();
  private readonly ids: ItemId[] = [];
  /** Per row, its neighbours' rows and scores (typed, so a request allocates no objects per neighbour). */
  private readonly nbrRows: Int32Array[] = [];
  private readonly nbrScores: Float64Array[] = [];
  // Reused between calls: retrieve does its work synchronously after one await.
  private readonly acc: Float64Array;
  private readonly mark: Uint8Array;

  constructor(neighbours: ReadonlyMap<ItemId, readonly ScoredItem[]>, options: { recent?: number; version?: string } = {}) {
    this.recent = options.recent ?? 10;
    this.version = options.version ?? 'co-occurrence';
    const rowOf = (id: ItemId): number => {
      let r = this.row.get(id);
      if (r === undefined) {
        this.row.set(id, (r = this.ids.length));
        this.ids.push(id);
        this.nbrRows.push(EMPTY_ROWS);
        this.nbrScores.push(EMPTY_SCORES);
      }
      return r;
    };
    for (const [a, list] of neighbours) {
      const r = rowOf(a);
      this.nbrRows[r] = Int32Array.from(list, (n) => rowOf(n.itemId));
      this.nbrScores[r] = Float64Array.from(list, (n) => n.score);
    }
    this.acc = new Float64Array(this.ids.length);
    this.mark = new Uint8Array(this.ids.length);
  }

  /** Builds the neighbour table from time-ordered item histories, one per user (buildCoOccurrenceTable). */
  static fromHistories(histories: Iterable<readonly ItemId[]>, options: CoOccurrenceOptions = {}): CoOccurrenceSource {
    const hs = [...histories];
    // Rows in id order, so the table's ties (to the lower row) go to the lower id, whatever order the histories came in.
    const ids = [...new Set(hs.flat())].sort(compareIds);
    const rowOf = new Map(ids.map((id, r) => [id, r]));
    const t = buildCoOccurrenceTable(
      hs.map((h) => Int32Array.from(h, (id) => rowOf.get(id)!)),
      ids.length,
      options.window ?? 5,
      options.neighbours ?? 50,
    );
    const neighbours = new Map<ItemId, ScoredItem[]>();
    for (let a = 0; a < ids.length; a++) {
      if (t.start[a] === t.start[a + 1]) continue;
      const list: ScoredItem[] = [];
      for (let k = t.start[a]!; k < t.start[a + 1]!; k++) list.push({ itemId: ids[t.nbr[k]!]!, score: t.score[k]! });
      neighbours.set(ids[a]!, list);
    }
    return new CoOccurrenceSource(neighbours, options);
  }

  async retrieve(ctx: RetrievalContext, k: number): Promise<ScoredItem[]> {
    const features = await ctx.features;
    const recent = features.recentItems.slice(-this.recent);
    if (recent.length === 0) return [];
    const { acc } = this;
    const touched = this.accumulate(recent);
    touched.sort((a, b) => acc[b]! - acc[a]!);
    const out: ScoredItem[] = [];
    for (let i = 0; i < Math.min(k, touched.length); i++) out.push({ itemId: this.ids[touched[i]!]!, score: acc[touched[i]!]! });
    this.reset(touched);
    return out;
  }

  /**
   * Each item's score against a user's recent items (oldest first, as `recentItems` holds them),
   * the score `retrieve` ranks by; 0 where no recent item has it as a neighbour. Lets a ranker
   * score candidates another source found on the same scale (ADR 0078).
   */
  scoreItems(recentItems: readonly ItemId[], itemIds: readonly ItemId[]): Float64Array {
    const out = new Float64Array(itemIds.length);
    const recent = recentItems.slice(-this.recent);
    if (recent.length === 0) return out;
    const touched = this.accumulate(recent);
    for (let i = 0; i < itemIds.length; i++) {
      const r = this.row.get(itemIds[i]!);
      if (r !== undefined && this.mark[r] === 1) out[i] = this.acc[r]!;
    }
    this.reset(touched);
    return out;
  }

  /** Adds each recent item's weighted neighbours into `acc`; returns the rows touched, in first-reached order. */
  private accumulate(recent: readonly ItemId[]): number[] {
    const own = new Set<number>();
    for (const id of recent) {
      const r = this.row.get(id);
      if (r !== undefined) own.add(r);
    }
    const { acc, mark } = this;
    // Rows in the order they were first reached: retrieve's sort is stable, so ties keep that order.
    const touched: number[] = [];
    // Newer items weigh more: the last item says most about what the user wants next.
    for (let i = 0; i < recent.length; i++) {
      const r = this.row.get(recent[i]!);
      if (r === undefined) continue;
      const w = (i + 1) / recent.length;
      const rows = this.nbrRows[r]!;
      const scores = this.nbrScores[r]!;
      for (let j = 0; j < rows.length; j++) {
        const n = rows[j]!;
        if (own.has(n)) continue;
        if (mark[n] === 0) {
          mark[n] = 1;
          touched.push(n);
        }
        acc[n]! += w * scores[j]!;
      }
    }
    return touched;
  }

  private reset(touched: readonly number[]): void {
    for (const n of touched) {
      this.acc[n] = 0;
      this.mark[n] = 0;
    }
  }
}

const EMPTY_ROWS = new Int32Array(0);
const EMPTY_SCORES = new Float64Array(0);

function compareIds(a: ItemId, b: ItemId): number {
  return typeof a === 'number' && typeof b === 'number' ? a - b : String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}
