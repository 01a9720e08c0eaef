import { allTimePopularity } from '../../baselines/popularity.js';
import type { Interactions } from '../../data/interactions.js';
import { userOfKey, validationSlice } from '../../eval/validation.js';
import type { TowerEnsemble } from '../../models/index.js';
import { ASK_BEFORE_MS } from '../../eval/protocols.js';
import {
  buildCoOccurrence,
  lastShare,
  popularityPrior,
  POPULARITY_SHARE_GRID,
  retrievalBias,
  type CoOccurrenceOptions,
  type HistoryQueryParams,
} from '../../retrieval/index.js';
import type { FixedQuery, TuneQueryConfig } from '../config.js';
import type { Step } from '../step.js';
import {
  embedCatalog,
  gridLabel,
  tuneRetrievalQuery,
  type CoOccurrenceTerm,
  type QueryGridPoint,
  type QueryTuneResult,
} from '../two-stage/index.js';
import { heldOutRequests, windowOptions, type SplitData } from './split.js';
import type { RetrievalTraining } from './train-retrieval.js';

/** The retrieval query tuned on the held-out users, with the tuned tower it was tuned for. */
export interface QueryTuning {
  /** The ensemble trained without the holdout, and its catalog embeddings. */
  tower: TowerEnsemble;
  itemEmbeddings: Float32Array;
  /** How recent items enter the query (historyQuery). */
  history: HistoryQueryParams;
  /** Weight of the popularity prior in the retrieval score (ADR 0077); 0: none. */
  popularityWeight: number;
  /** Share of the most recent training events the prior counts (1: all; POPULARITY_SHARE_GRID). */
  popularityShare: number;
  /** Weight of the co-occurrence term in the retrieval score (ADR 0078). */
  coOccurrenceWeight: number;
  /** The prior at `popularityWeight` over the tuned tower's training events; absent at weight 0. */
  itemBias: Float32Array | undefined;
  /**
   * With validation windows: the prior as of each window's start (counting every training event
   * before it), for requests asked in that window; `biasAt` picks one by time. Absent: `itemBias` for all.
   */
  itemBiasByWindow?: Float32Array[];
  /** The item bias a validation request or ranker example asked at `atMs` is scored with. */
  biasAt(atMs: number): Float32Array | undefined;
  /** The co-occurrence term over the tuned tower's training events, at its tuned weight. */
  coOccurrence: CoOccurrenceTerm;
  /** How the co-occurrence tables are built (the served one too). */
  coOccurrenceOptions: Required<CoOccurrenceOptions>;
  /** Every grid point scored, in the order scored. */
  grid: QueryGridPoint[];
}

/**
 * Tune query: waits for the tuned ensemble, then picks the recent-items weight and decay, the
 * popularity prior's weight and the co-occurrence weight by retrieval NDCG@20 on every user's
 * held-out events (tuneRetrievalQuery).
 */
export const tuneQueryStep: Step<TuneQueryConfig, { data: Interactions; split: SplitData; retrieval: RetrievalTraining }, QueryTuning> = {
  name: 'tune-query',
  async run({ data, split: s, retrieval }, config, ctx) {
    const { split, holdout } = s;
    // The towers train on worker threads; this phase is how long the main thread then waited for them.
    const tower = await ctx.time('train-two-tower', () => retrieval.tuned);
    const itemEmbeddings = embedCatalog(tower, s.catalog);
    // The prior and the co-occurrence table count the events the tower learned from, so the tuned
    // tower's leave the holdout out (ADR 0077, ADR 0078).
    const tuneEvents = withoutPositions(split.train, holdout);
    const temperature = tower.members[0]!.config.temperature;
    const starts = s.windowStartsMs && s.windowStartsMs.length > 1 ? s.windowStartsMs : undefined;
    // A window's prior counts every training event before the window starts, as the served prior
    // counts every event before the test cutoff; one window, or none, counts the tuned tower's events.
    const before = starts?.map((t) => split.train.filter((e) => data.timeMs[e]! < t));
    const priorsAt = (share: number): Float32Array | Float32Array[] => {
      const one = (events: Int32Array): Float32Array => popularityPrior(allTimePopularity(data, lastShare(events, share)), temperature);
      return before ? before.map(one) : one(tuneEvents);
    };
    const prior = priorsAt(1);
    const table = buildCoOccurrence(data.user, data.item, tuneEvents, data.itemIds.length, config.coOccurrence);
    const { fixed } = config;
    const tuned: QueryTuneResult = fixed
      ? {
          best: fixed.history,
          popularityWeight: fixed.popularityWeight,
          popularityShare: fixed.popularityShare ?? 1,
          coOccurrenceWeight: fixed.coOccurrenceWeight,
          grid: [],
        }
      : await search();
    if (fixed) ctx.log(`  ${ctx.protocol}: ${describeFixed(fixed)} (chosen by an earlier search, reused: no validation scoring)`);
    const w = tuned.popularityWeight;
    const chosen = w !== 0 ? priorsAt(tuned.popularityShare) : undefined;
    const byWindow = chosen && !(chosen instanceof Float32Array) ? chosen.map((p) => retrievalBias(p, w)) : undefined;
    const itemBias = chosen ? (chosen instanceof Float32Array ? retrievalBias(chosen, w) : byWindow![0]) : undefined;
    return {
      tower,
      itemEmbeddings,
      history: tuned.best,
      popularityWeight: w,
      popularityShare: tuned.popularityShare,
      coOccurrenceWeight: tuned.coOccurrenceWeight,
      itemBias,
      ...(byWindow ? { itemBiasByWindow: byWindow } : {}),
      biasAt: (atMs) => (byWindow && starts ? byWindow[windowAt(starts, atMs)] : itemBias),
      coOccurrence: { table, weight: tuned.coOccurrenceWeight },
      coOccurrenceOptions: config.coOccurrence,
      grid: tuned.grid,
    };

    function search(): Promise<QueryTuneResult> {
      return ctx.time('tune-history-query', () => {
        // The query is tuned on every user's held-out events, not only the validation users': the
        // tower never trained on any of them, and two settings tuned on ~130 users flipped between
        // near-ties from seed to seed (ADR 0052). Only the blend needs users the ranker did not see.
        const all = validationSlice(data, split, holdout, {
          share: 1,
          maxUsers: Number.POSITIVE_INFINITY,
          seed: ctx.seed,
          ...(s.askAtMs !== undefined ? { askAtMs: s.askAtMs } : {}),
          ...windowOptions(s),
        });
        const result = tuneRetrievalQuery({
          tower,
          itemEmbeddings,
          relevant: all.relevant,
          requests: heldOutRequests(all, s.towerSet, data, split),
          weights: config.recentWeights,
          decays: config.recentDecays,
          prior,
          priorWeights: config.popularityWeights,
          recentPriors: (config.popularityShares ?? POPULARITY_SHARE_GRID).map((share) => ({ share, prior: priorsAt(share) })),
          coOccurrence: table,
          coOccurrenceWeights: config.coOccurrenceWeights,
        });
        const users = new Set([...all.firstPos.keys()].map(userOfKey)).size;
        const windows = starts ? `, ${starts.length} windows` : '';
        ctx.log(`  ${ctx.protocol}: ${describeTuning(result, `${all.firstPos.size} requests of ${users} held-out users${windows}`)}`);
        return result;
      });
    }
  },
};

function describeFixed(f: FixedQuery): string {
  const share = f.popularityShare !== undefined && f.popularityShare !== 1 ? ` (last ${f.popularityShare} of events)` : '';
  return `recent items weight ${f.history.weight}, decay ${f.history.decay}, popularity prior ${f.popularityWeight}${share}, co-occurrence ${f.coOccurrenceWeight}`;
}

/** The window a time falls in: the last one starting at or before it plus ASK_BEFORE_MS (requests are asked just before their window). */
export function windowAt(starts: readonly number[], atMs: number): number {
  let k = 0;
  while (k + 1 < starts.length && starts[k + 1]! <= atMs + ASK_BEFORE_MS) k++;
  return k;
}

/** The tuning's log line: what it chose, on how many users, and the grid points at the chosen recent-items query. */
function describeTuning(tuned: QueryTuneResult, users: string): string {
  const { best, grid } = tuned;
  // Points without a prior weight are the first pass: the recent-items grid alone (tuneRetrievalQuery).
  const noPrior = Math.max(...grid.filter((g) => g.popularityWeight === undefined).map((g) => g.ndcg));
  const atBest = grid.filter((g) => g.weight === best.weight && g.decay === best.decay);
  const chosen =
    `recent items weight ${best.weight}, decay ${best.decay}, popularity prior ${tuned.popularityWeight}` +
    `${tuned.popularityShare !== 1 ? ` over the last ${tuned.popularityShare} of events` : ''}, ` +
    `co-occurrence ${tuned.coOccurrenceWeight}`;
  const figures =
    `retrieval NDCG@20 ${Math.max(...grid.map((g) => g.ndcg)).toFixed(4)}, best without the prior ${noPrior.toFixed(4)}; ` +
    atBest.map((g) => `${gridLabel(g)}:${g.ndcg.toFixed(4)}`).join(' ');
  return `${chosen} on ${users} (${figures})`;
}

/** Training events (split.train) without the given positions in it (the ranker's held-out events). */
function withoutPositions(train: Int32Array, drop: Int32Array): Int32Array {
  const skip = new Uint8Array(train.length);
  for (const r of drop) skip[r] = 1;
  return train.filter((_, i) => !skip[i]);
}
