import type { FeatureStore } from '@frec/core';
import type { Interactions } from '../../data/interactions.js';
import type { ItemExclusion } from '../../eval/catalog-at.js';
import { ensembleDim, ensembleUserForward, rankerPredict, type DcnParams, type TowerEnsemble } from '../../models/index.js';
import { historyQuery, type HistoryQueryParams } from '../../retrieval/index.js';
import { rankerTrainingSet, type RankerExample } from '../../training-sets/build-training-sets.js';
import type { ItemGenreLookup } from '../../training-sets/vectorize.js';
import type { ItemTimeline } from '../../ranking/request-signals.js';
import type { OfflineCandidates } from './candidates.js';
import { requestScores, retrievalScore, scoreBuffers, type CoOccurrenceTerm } from './retrieval-score.js';

/** One request's candidates with the ranker's and the two-tower's scores, aligned. */
export interface ScoredRequest {
  /** The request's key (its `key`, else its user): what rankings and relevant sets are looked up by. */
  user: number;
  items: Int32Array;
  ranker: Float32Array;
  retrieval: Float32Array;
}

/**
 * Two stages: the offline candidate sources retrieve items per request, then the DCN-V2 ranker
 * scores them. The ranker's inputs are read through the `ranker_v1` feature service as of each
 * request's time (the offline twin of the online lookup serving does), so item popularity and the
 * request context are those of that moment. `blendRank` turns the scores into orderings.
 */
export async function scoreTwoStage(options: {
  store: FeatureStore;
  data: Interactions;
  tower: TowerEnsemble;
  ranker: DcnParams;
  itemEmbeddings: Float32Array;
  genresOf: ItemGenreLookup;
  /** User vectors (and `recent`) by request key: `key` when a request has one, else its user. */
  userVecs: ReadonlyMap<number, Float32Array>;
  /** `itemBias`, when given, is that request's prior (its validation window's) over options.itemBias. */
  requests: ReadonlyArray<{ user: number; key?: number; atMs: number; exclude: ItemExclusion; itemBias?: Float32Array }>;
  sources: OfflineCandidates;
  /** The training events' item timeline the request signals are read from (RankerSet.timeline). */
  timeline: ItemTimeline;
  /** Each user's recent items (dense indexes, newest first) and how they enter the retrieval query. */
  recent?: ReadonlyMap<number, Int32Array>;
  history?: HistoryQueryParams;
  /** Per-item retrieval bias (popularity prior, ADR 0077), part of the retrieval score. */
  itemBias?: Float32Array;
  /** Co-occurrence with the recent items, part of the retrieval score and a candidate source (ADR 0078). */
  coOccurrence?: CoOccurrenceTerm;
  /**
   * Score the candidates with the ranker (default true). At blend weight 0 the order is the
   * retrieval score's alone, so the ranker's features need not be read; its scores are then 0.
   */
  scoreRanker?: boolean;
}): Promise<ScoredRequest[]> {
  const { tower, itemEmbeddings, data } = options;
  const dim = ensembleDim(tower);
  const buf = scoreBuffers(itemEmbeddings.length / dim);
  const cooc = options.coOccurrence;
  const query = new Float32Array(dim);
  const none = new Int32Array(0);
  const examples: RankerExample[] = [];
  const out: ScoredRequest[] = [];
  for (const q of options.requests) {
    const key = q.key ?? q.user;
    const emb = ensembleUserForward(tower, Int32Array.of(q.user), options.userVecs.get(key)!);
    const recent = options.recent?.get(key) ?? none;
    historyQuery(emb, 0, dim, itemEmbeddings, recent, options.history?.weight ?? 0, query, options.history?.decay);
    requestScores(itemEmbeddings, dim, query, q.itemBias ?? options.itemBias, recent, cooc, buf);
    const items = options.sources.candidates(buf.tower, q.atMs, q.exclude, cooc ? buf.cooc : undefined);
    const retrieval = Float32Array.from(items, (it) => retrievalScore(buf, cooc, it));
    for (let i = 0; i < items.length; i++)
      examples.push({
        user: q.user,
        item: items[i]!,
        atMs: q.atMs,
        label: 0,
        retrievalScore: retrieval[i]!,
        coOccurrence: cooc ? buf.cooc[items[i]!]! : 0,
      });
    out.push({ user: key, items, ranker: new Float32Array(0), retrieval });
  }
  if (options.scoreRanker === false) {
    for (const r of out) r.ranker = new Float32Array(r.items.length);
    return out;
  }
  const x = await rankerTrainingSet(options.store, data, examples, options.genresOf, options.timeline);
  const p = rankerPredict(options.ranker, x.x, x.n);
  let o = 0;
  for (const r of out) {
    r.ranker = p.slice(o, o + r.items.length);
    o += r.items.length;
  }
  return out;
}
