import type { ItemId } from '../types.js';
import { BayesianPreference, type PopulationPrior } from './bayesian-preference.js';

/** Options of the cold-start model store. */
export interface ColdStartOptions {
  prior: PopulationPrior;
  /** Item embeddings, row-major, aligned with `ids`. */
  embeddings: Float32Array;
  ids: readonly ItemId[];
  /** Users with fewer interactions than this are cold (default 5). */
  threshold?: number;
  /** Observation noise variance (default 5, chosen on training users; see ADR 0073). */
  noiseVariance?: number;
  /**
   * Response recorded for an engagement (default 12). The prior is scaled so the average
   * engagement scores 1; a larger target says "this user liked it more than the population
   * would predict", which moves the posterior toward the item instead of away from popular ones.
   */
  engagementTarget?: number;
  /** Users kept in memory; the oldest are evicted past it (default 100,000). */
  maxUsers?: number;
  version?: string;
}

/**
 * Holds one Bayesian preference model per cold user, updated with each interaction, and scores
 * candidates with the posterior mean. Users past the threshold leave it for the main ranker.
 */
export class ColdStartModel {
  readonly threshold: number;
  readonly version: string;
  private readonly dim: number;
  private readonly row = new Map<ItemId, number>();
  private readonly users = new Map<string | number, BayesianPreference>();

  constructor(private readonly options: ColdStartOptions) {
    this.threshold = options.threshold ?? 5;
    this.version = options.version ?? 'cold-start-blr';
    this.dim = options.prior.mean.length;
    options.ids.forEach((id, r) => this.row.set(id, r));
  }

  /** The user's model, created from the population prior on first use. */
  model(userId: string | number): BayesianPreference {
    let m = this.users.get(userId);
    if (!m) {
      m = new BayesianPreference(this.options.prior, this.options.noiseVariance ?? 5);
      this.users.set(userId, m);
      if (this.users.size > (this.options.maxUsers ?? 100_000)) this.users.delete(this.users.keys().next().value!);
    }
    return m;
  }

  /** Records an interaction (default y: an engagement; 0 = skipped); unknown items are ignored. */
  observe(userId: string | number, itemId: ItemId, y = this.options.engagementTarget ?? 12): void {
    const r = this.row.get(itemId);
    if (r === undefined) return;
    this.model(userId).update(this.options.embeddings.subarray(r * this.dim, (r + 1) * this.dim), y);
  }

  /** Posterior-mean scores for `items` (NaN for items without an embedding). */
  score(userId: string | number, items: readonly ItemId[]): Float32Array {
    const w = this.model(userId).mean();
    const d = this.dim;
    const out = new Float32Array(items.length);
    items.forEach((id, i) => {
      const r = this.row.get(id);
      if (r === undefined) {
        out[i] = NaN;
        return;
      }
      let s = 0;
      for (let j = 0; j < d; j++) s += this.options.embeddings[r * d + j]! * w[j]!;
      out[i] = s;
    });
    return out;
  }
}
