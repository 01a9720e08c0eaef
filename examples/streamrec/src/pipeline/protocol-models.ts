import type { Split } from '../eval/protocols.js';
import type { DcnParams, TowerEnsemble } from '../models/index.js';
import type { CoOccurrenceOptions, HistoryQueryParams } from '../retrieval/index.js';
import type { CatalogSnapshot } from '../training-sets/build-training-sets.js';
import type { RankerSet } from './steps/ranker-set.js';
import type { ServedRetrieval } from './steps/refit.js';
import type { SplitData } from './steps/split.js';
import type { RetrievalTraining } from './steps/train-retrieval.js';
import type { QueryTuning } from './steps/tune-query.js';
import type { CoOccurrenceTerm, BlendTuneResult } from './two-stage/index.js';

/** The trained models of one protocol, as served: what the export and register steps take. */
export interface ProtocolModels {
  split: Split;
  /** The served ensemble, trained on every training event, and its catalog embeddings. */
  tower: TowerEnsemble;
  itemEmbeddings: Float32Array;
  ranker: DcnParams;
  catalog: CatalogSnapshot;
  trainRows: number;
  /** Half-lives (ms) of the ranker's decayed popularity signals, from the split's training events. */
  signalHalfLivesMs: readonly number[];
  /** Weight of the ranker in the final blend with the two-tower score, tuned on the validation slice. */
  blendWeight: number;
  /** How recent items enter the retrieval query (historyQuery), tuned on the held-out users. */
  history: HistoryQueryParams;
  /** Weight of the popularity prior in the retrieval score, tuned with `history` (ADR 0077); 0: none. */
  popularityWeight: number;
  /** Share of the most recent training events the prior counts (1: all). */
  popularityShare: number;
  /** What retrieval adds to each item's dot product: the prior at `popularityWeight`; absent at weight 0. */
  itemBias?: Float32Array;
  /** The co-occurrence term of the two-stage retrieval score and how its table was built (ADR 0078). */
  coOccurrence: CoOccurrenceTerm & Required<CoOccurrenceOptions>;
}

/** Gathers one protocol's step results into its served models. */
export function protocolModels(parts: {
  split: SplitData;
  retrieval: RetrievalTraining;
  query: QueryTuning;
  ranker: DcnParams;
  rankerSet: RankerSet;
  blend: BlendTuneResult;
  served: ServedRetrieval;
}): ProtocolModels {
  const { split, retrieval, query, ranker, rankerSet, blend, served } = parts;
  return {
    split: split.split,
    tower: served.tower,
    ranker,
    catalog: split.catalog,
    itemEmbeddings: served.itemEmbeddings,
    trainRows: retrieval.trainRows,
    blendWeight: blend.weight,
    signalHalfLivesMs: rankerSet.timeline.halfLives,
    history: query.history,
    popularityWeight: query.popularityWeight,
    popularityShare: query.popularityShare,
    ...(served.itemBias ? { itemBias: served.itemBias } : {}),
    coOccurrence: { ...served.coOccurrence, ...query.coOccurrenceOptions },
  };
}
