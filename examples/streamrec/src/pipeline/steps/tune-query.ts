import { allTimePopularity } from '../../baselines/popularity.js';
import type { Interactions } from '../../data/interactions.js';
import { validationSlice } from '../../eval/validation.js';
import type { TowerEnsemble } from '../../models/index.js';
import {
  buildCoOccurrence,
  popularityPrior,
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
import { heldOutRequests, type SplitData } from './split.js';
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
  /** Weight of the co-occurrence term in the retrieval score (ADR 0078). */
  coOccurrenceWeight: number;
  /** The prior at `popularityWeight` over the tuned tower's training events; absent at weight 0. */
  itemBias: Float32Array | undefined;
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
    const prior = popularityPrior(allTimePopularity(data, tuneEvents), tower.members[0]!.config.temperature);
    const table = buildCoOccurrence(data.user, data.item, tuneEvents, data.itemIds.length, config.coOccurrence);
    const { fixed } = config;
    const tuned: QueryTuneResult = fixed
      ? { best: fixed.history, popularityWeight: fixed.popularityWeight, coOccurrenceWeight: fixed.coOccurrenceWeight, grid: [] }
      : await search();
    if (fixed) ctx.log(`  ${ctx.protocol}: ${describeFixed(fixed)} (chosen by an earlier search, reused: no validation scoring)`);
    return {
      tower,
      itemEmbeddings,
      history: tuned.best,
      popularityWeight: tuned.popularityWeight,
      coOccurrenceWeight: tuned.coOccurrenceWeight,
      itemBias: tuned.popularityWeight !== 0 ? retrievalBias(prior, tuned.popularityWeight) : undefined,
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
          coOccurrence: table,
          coOccurrenceWeights: config.coOccurrenceWeights,
        });
        ctx.log(`  ${ctx.protocol}: ${describeTuning(result, all.firstPos.size)}`);
        return result;
      });
    }
  },
};

function describeFixed(f: FixedQuery): string {
  return `recent items weight ${f.history.weight}, decay ${f.history.decay}, popularity prior ${f.popularityWeight}, co-occurrence ${f.coOccurrenceWeight}`;
}

/** The tuning's log line: what it chose, on how many users, and the grid points at the chosen recent-items query. */
function describeTuning(tuned: QueryTuneResult, users: number): string {
  const { best, grid } = tuned;
  // Points without a prior weight are the first pass: the recent-items grid alone (tuneRetrievalQuery).
  const noPrior = Math.max(...grid.filter((g) => g.popularityWeight === undefined).map((g) => g.ndcg));
  const atBest = grid.filter((g) => g.weight === best.weight && g.decay === best.decay);
  const chosen =
    `recent items weight ${best.weight}, decay ${best.decay}, popularity prior ${tuned.popularityWeight}, ` +
    `co-occurrence ${tuned.coOccurrenceWeight}`;
  const figures =
    `retrieval NDCG@20 ${Math.max(...grid.map((g) => g.ndcg)).toFixed(4)}, best without the prior ${noPrior.toFixed(4)}; ` +
    atBest.map((g) => `${gridLabel(g)}:${g.ndcg.toFixed(4)}`).join(' ');
  return `${chosen} on ${users} held-out users (${figures})`;
}

/** Training events (split.train) without the given positions in it (the ranker's held-out events). */
function withoutPositions(train: Int32Array, drop: Int32Array): Int32Array {
  const skip = new Uint8Array(train.length);
  for (const r of drop) skip[r] = 1;
  return train.filter((_, i) => !skip[i]);
}
