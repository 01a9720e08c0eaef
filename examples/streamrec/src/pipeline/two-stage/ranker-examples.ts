import type { Interactions } from '../../data/interactions.js';
import { ensembleDim, ensembleUserForward, type TowerEnsemble } from '../../models/index.js';
import { mulberry32 } from '../../nn/rng.js';
import { historyQuery, type HistoryQueryParams } from '../../retrieval/index.js';
import { D_USER, type RankerExample } from '../../training-sets/build-training-sets.js';
import type { OfflineCandidates } from './candidates.js';
import { requestScores, retrievalScore, scoreBuffers, type CoOccurrenceTerm } from './retrieval-score.js';

/**
 * Picks ranker examples the way serving meets them: for a seeded sample of held-out training
 * interactions, the offline candidate sources (two-tower, trending, popular) retrieve candidates for
 * that user at that moment; if the interacted item is among them it is a positive (label 1), and
 * `negatives` other candidates (one in five a random catalog item instead), or with 'pool' every
 * other candidate, are negatives (label 0).
 * Every example carries the two-tower score, whichever source found it, as serving computes it.
 */
export function sampleRankerExamples(options: {
  data: Interactions;
  train: Int32Array;
  /** Per-train-example user features (aligned with `train`), as used to train the two-tower. */
  userFeatures: Float32Array;
  params: TowerEnsemble;
  itemEmbeddings: Float32Array;
  /** Positions in `train` the positives are drawn from: events the two-tower did not train on. */
  from: Int32Array;
  positives: number;
  /** Negatives per positive drawn from its candidates (one in five a random catalog item), or 'pool': every other candidate. */
  negatives: number | 'pool';
  sources: OfflineCandidates;
  lookupOffsetMs: number;
  seed: number;
  /** Recent items (dense indexes, newest first) of each train position, and how they enter the retrieval query (historyQuery). */
  recentItems?: readonly Int32Array[];
  history?: HistoryQueryParams;
  /** Per-item retrieval bias (popularity prior, ADR 0077), part of the retrieval score. */
  itemBias?: Float32Array;
  /** The bias of an example asked at `atMs` (the prior as of its validation window), over `itemBias`. */
  itemBiasAt?: (atMs: number) => Float32Array | undefined;
  /** Co-occurrence with the recent items, part of the retrieval score and a candidate source (ADR 0078). */
  coOccurrence?: CoOccurrenceTerm;
}): RankerExample[] {
  const { data, train, params, itemEmbeddings } = options;
  const rand = mulberry32(options.seed);
  const dim = ensembleDim(params);
  const numItems = data.itemIds.length;
  const everSeen = new Map<number, Set<number>>();
  for (const e of train) {
    const u = data.user[e]!;
    let s = everSeen.get(u);
    if (!s) everSeen.set(u, (s = new Set()));
    s.add(data.item[e]!);
  }
  // Positives come from events the retriever never saw, so their retrieval scores are out-of-sample
  // like the ones the ranker meets at serving time; otherwise it learns to trust memorized scores.
  const pool0 = options.from;
  // Without replacement: the holdout is small (~10% of training events) and duplicates add nothing.
  const shuffled = Array.from(pool0);
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
  }
  const picks = shuffled.slice(0, Math.min(options.positives, shuffled.length));
  const feats = new Float32Array(picks.length * D_USER);
  picks.forEach((j, i) => feats.set(options.userFeatures.subarray(j * D_USER, (j + 1) * D_USER), i * D_USER));
  const userEmb = ensembleUserForward(
    params,
    Int32Array.from(picks, (j) => data.user[train[j]!]!),
    feats,
  );
  const out: RankerExample[] = [];
  const buf = scoreBuffers(numItems);
  const query = new Float32Array(dim);
  const none = new Int32Array(0);
  const cooc = options.coOccurrence;
  picks.forEach((j, i) => {
    const e = train[j]!;
    const u = data.user[e]!,
      atMs = data.timeMs[e]! - options.lookupOffsetMs;
    const recent = options.recentItems?.[j] ?? none;
    historyQuery(userEmb, i * dim, dim, itemEmbeddings, recent, options.history?.weight ?? 0, query, options.history?.decay);
    const bias = options.itemBiasAt ? options.itemBiasAt(atMs) : options.itemBias;
    requestScores(itemEmbeddings, dim, query, bias, recent, cooc, buf);
    const seen = everSeen.get(u)!;
    const pos = data.item[e]!;
    // The positive is itself a training item: let the sources see it, like any item unseen at atMs.
    seen.delete(pos);
    const pool = options.sources.candidates(buf.tower, atMs, seen, cooc ? buf.cooc : undefined);
    seen.add(pos);
    // The ranker only ever sees retrieved items, so it learns only from them: a positive no source
    // would have retrieved is dropped, else "lower retrieval score = positive" is what it learns.
    if (pool.length < 2 || !pool.includes(pos)) return;
    const co = (it: number): number => (cooc ? buf.cooc[it]! : 0);
    out.push({ user: u, item: pos, atMs, label: 1, retrievalScore: retrievalScore(buf, cooc, pos), coOccurrence: co(pos) });
    if (options.negatives === 'pool') {
      // The whole served pool: the listwise loss then orders exactly what serving hands the ranker.
      for (const it of pool)
        if (it !== pos)
          out.push({ user: u, item: it, atMs, label: 0, retrievalScore: retrievalScore(buf, cooc, it), coOccurrence: co(it) });
      return;
    }
    for (let k = 0; k < options.negatives; k++) {
      let it = pool[Math.floor(rand() * pool.length)]!;
      // Random items keep the ranker sane on anything a source may hand it (serving has 4 sources).
      if (rand() < 0.2) it = Math.floor(rand() * numItems);
      // A random item must exist at the request, like every candidate (ADR 0076).
      if (it === pos || seen.has(it) || !options.sources.inCatalog(it, atMs)) continue;
      out.push({ user: u, item: it, atMs, label: 0, retrievalScore: retrievalScore(buf, cooc, it), coOccurrence: co(it) });
    }
  });
  return out;
}
