import type { RankFn } from '../../eval/evaluate.js';
import { topK } from '../../eval/metrics.js';
import { ensembleDim, ensembleItemForward, ensembleUserForward, type TowerEnsemble } from '../../models/index.js';
import { scoreAll } from '../../nn/matvec.js';
import { addBias, coOccurrenceScores, historyQuery, type DenseCoOccurrence, type HistoryQueryParams } from '../../retrieval/index.js';
import type { CatalogSnapshot } from '../../training-sets/build-training-sets.js';

/** The co-occurrence term of the retrieval score (ADR 0078): `weight` x coOccurrenceScores against the request's recent items. */
export interface CoOccurrenceTerm {
  table: DenseCoOccurrence;
  weight: number;
}

/**
 * One request's scores over the catalog: q . v plus the item bias into `buf.tower` (what the ANN
 * source ranks by) and, with `cooc`, the raw co-occurrence with the recent items into `buf.cooc`
 * (what the co-occurrence source ranks by). `retrievalScore` combines them for the few items scored.
 */
export function requestScores(
  itemEmbeddings: Float32Array,
  dim: number,
  query: Float32Array,
  itemBias: Float32Array | undefined,
  recent: ArrayLike<number>,
  cooc: CoOccurrenceTerm | undefined,
  buf: ScoreBuffers,
): void {
  addBias(scoreAll(itemEmbeddings, dim, query, 0, buf.tower), itemBias);
  if (cooc) coOccurrenceScores(cooc.table, recent, buf.cooc);
}

/** The retrieval score of one item after requestScores, rounded to float32 like the tower's scores. */
export function retrievalScore(buf: ScoreBuffers, cooc: CoOccurrenceTerm | undefined, item: number): number {
  return cooc ? Math.fround(buf.tower[item]! + cooc.weight * buf.cooc[item]!) : buf.tower[item]!;
}

/** Per-request score buffers over the catalog, reused across requests. */
export interface ScoreBuffers {
  tower: Float32Array;
  cooc: Float32Array;
}

/** Buffers for a catalog of `numItems` items. */
export function scoreBuffers(numItems: number): ScoreBuffers {
  return { tower: new Float32Array(numItems), cooc: new Float32Array(numItems) };
}

/** Retrieval alone: full-catalog two-tower scores (plus the item bias, if any) for the user's point-in-time vector and recent items. */
export function twoTowerRank(
  params: TowerEnsemble,
  itemEmbeddings: Float32Array,
  userVecs: ReadonlyMap<number, Float32Array>,
  recent: ReadonlyMap<number, Int32Array> = new Map(),
  history: HistoryQueryParams = { weight: 0, decay: 1 },
  itemBias?: Float32Array,
): RankFn {
  const dim = ensembleDim(params);
  const scores = new Float32Array(itemEmbeddings.length / dim);
  const query = new Float32Array(dim);
  const none = new Int32Array(0);
  return (u, _at, k, exclude) => {
    const emb = ensembleUserForward(params, Int32Array.of(u), userVecs.get(u)!);
    historyQuery(emb, 0, dim, itemEmbeddings, recent.get(u) ?? none, history.weight, query, history.decay);
    return topK(addBias(scoreAll(itemEmbeddings, dim, query, 0, scores), itemBias), k, exclude);
  };
}

/** Item embeddings of the whole catalog snapshot. */
export function embedCatalog(params: TowerEnsemble, catalog: CatalogSnapshot): Float32Array {
  return ensembleItemForward(params, catalog.itemFeatures);
}
