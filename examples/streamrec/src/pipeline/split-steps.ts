import { ErrorCode, FrecError, type FeatureStore } from '@frec/core';
import type { Interactions } from '../data/interactions.js';
import { rankerHoldout, seenItems, type Split } from '../eval/protocols.js';
import { evaluate, rankByScores, type EvalResult } from '../eval/evaluate.js';
import { validationSlice, type ValidationSlice } from '../eval/validation.js';
import { excludeAt } from '../eval/catalog-at.js';
import { allTimePopularity, recentPopularity } from '../baselines/popularity.js';
import { bprScores, trainBpr } from '../baselines/bpr-mf.js';
import { towerEnsemble, trainRanker, type TowerEnsemble } from '../models/index.js';
import { popularityPrior, retrievalBias } from '../retrieval/index.js';
import { type TowerTrainingPool } from '../tower-pool/index.js';
import type { TwoTowerData } from '../models/types.js';
import { buildCoOccurrence, DEFAULT_CO_OCCURRENCE } from '../retrieval/co-occurrence.js';
import {
  catalogSnapshot,
  D_USER,
  rankerTrainingSet,
  twoTowerTrainingSet,
  userInputsAt,
  type CatalogSnapshot,
} from '../training-sets/build-training-sets.js';
import { LOOKUP_OFFSET_MS } from '../training-sets/historical-rows.js';
import { DEFAULT_CANDIDATE_MIX, OfflineCandidates } from './candidates.js';
import type { StepTimer } from './step-timer.js';
import { blendRank, embedCatalog, sampleRankerExamples, scoreTwoStage, tuneBlend, tuneRetrievalQuery, twoTowerRank } from './two-stage.js';
import { DEFAULT_RANKER_LOSS, DEFAULT_TOWER_HISTORY, DEFAULT_TOWER_MEMBERS } from './defaults.js';
import type { PipelineOptions, ProtocolModels } from './run-pipeline.js';

type TwoTowerSet = Awaited<ReturnType<typeof twoTowerTrainingSet>>;

/** A split whose baselines are evaluated and whose towers are queued on the training pool. */
export interface Prepared {
  split: Split;
  seen: Map<number, Set<number>>;
  catalog: CatalogSnapshot;
  ttData: TwoTowerSet;
  holdout: Int32Array;
  trainRows: number;
  /** The ensemble trained without the ranker's holdout: it is tuned and feeds the ranker. */
  tuned: Promise<TowerEnsemble>;
  /** The ensemble trained on every training event, served and evaluated; the tuned one when refitTower is false. */
  served: Promise<TowerEnsemble>;
}

interface StepContext {
  store: FeatureStore;
  data: Interactions;
  options: PipelineOptions;
  seed: number;
  timer: StepTimer;
  results: EvalResult[];
}

/** Catalog and two-tower training set of one split; queues its ensembles' trainings. */
export async function prepareSplit(ctx: StepContext & { split: Split; pool: TowerTrainingPool }): Promise<Prepared> {
  const { store, data, split, options, seed, timer, pool } = ctx;
  const p = split.protocol;
  const seen = seenItems(data, split);
  const catalogAt = split.protocol === 'global_time' ? (split.evalTimeMs.values().next().value ?? split.trainEndMs) : split.trainEndMs;
  const catalog = await timer.step(`${p}:catalog-features`, () => catalogSnapshot(store, data, catalogAt));
  const ttData = await timer.step(`${p}:two-tower-training-set`, () => twoTowerTrainingSet(store, data, split, catalog));
  const holdout = rankerHoldout(data, split);
  const towerData = withoutRows(ttData, holdout);
  const refit = options.refitTower !== false;
  const ensemble = (what: string, d: TwoTowerData): Promise<TowerEnsemble> => {
    const members = options.towerMembers ?? DEFAULT_TOWER_MEMBERS;
    // Member k differs only in its seed; the same seed for the tuned and the refit member.
    const trained = Array.from({ length: members }, async (_, k) => {
      let seconds = 0;
      const params = await pool.train(
        {
          data: d,
          config: { ...options.twoTower, seed: (options.twoTower?.seed ?? seed) + 100 * k },
          history: options.towerHistory ?? DEFAULT_TOWER_HISTORY,
        },
        (s) => {
          seconds += s.seconds;
          timer.progress(
            `${p}:${what}`,
            `member ${k + 1}/${members} epoch ${s.epoch} loss ${s.loss.toFixed(4)} (${Math.round(s.examplesPerSecond)} ex/s)`,
          );
        },
      );
      timer.worker(`${p}:${what} member ${k + 1}`, seconds);
      return params;
    });
    const all = Promise.all(trained).then(towerEnsemble);
    // Awaited later; a failure must not surface as an unhandled rejection before then.
    all.catch(() => {});
    return all;
  };
  const tuned = ensemble('train-two-tower', towerData);
  const served = refit ? ensemble('refit-two-tower', ttData) : tuned;
  return { split, seen, catalog, ttData, holdout, trainRows: (refit ? ttData : towerData).userIndex.length, tuned, served };
}

/**
 * Popularity (all-time and recent) and BPR-MF on one prepared split. Run after every split's towers
 * are queued: the towers are the pipeline's longest path, so nothing else goes before them.
 */
export async function evaluateBaselines(ctx: StepContext & { prep: Prepared }): Promise<void> {
  const { data, options, seed, timer, results, prep } = ctx;
  const { split, seen } = prep;
  const p = split.protocol;
  await timer.step(`${p}:baselines`, () => {
    const pop = allTimePopularity(data, split.train);
    results.push(
      evaluate(
        'popularity_all_time',
        split,
        seen,
        rankByScores(() => pop),
      ),
    );
    const recentCache = new Map<number, Float32Array>();
    const recent = (at: number): Float32Array => {
      let r = recentCache.get(at);
      if (!r) recentCache.set(at, (r = recentPopularity(data, split.train, at)));
      return r;
    };
    results.push(
      evaluate(
        'popularity_recent_30d',
        split,
        seen,
        rankByScores((_u, at) => recent(at)),
      ),
    );
    const mf = trainBpr(data, split.train, {
      seed,
      ...options.bpr,
      onEpoch: (e, l) => timer.progress(`${p}:baselines`, `bpr epoch ${e} loss ${l.toFixed(4)}`),
    });
    results.push(
      evaluate(
        'bpr_mf',
        split,
        seen,
        rankByScores((u) => bprScores(mf, u)),
        { recall500: true },
      ),
    );
  });
}

/** Tunes the query and the blend, trains the ranker and evaluates one prepared split. */
export async function finishSplit(ctx: StepContext & { prep: Prepared }): Promise<ProtocolModels> {
  const { store, data, options, seed, timer, results, prep } = ctx;
  const { split, seen, catalog, ttData, holdout } = prep;
  const p = split.protocol;
  // The towers train on worker threads; this step is how long the main thread then waited for them.
  const tower = await timer.step(`${p}:train-two-tower`, () => prep.tuned);
  const itemEmbeddings = embedCatalog(tower, catalog);
  const sources = new OfflineCandidates(
    data,
    split.train,
    { ...DEFAULT_CANDIDATE_MIX, ...options.candidates },
    split.itemFirstSeenMs ?? null,
  );
  const validation = validationSlice(data, split, holdout, { seed });
  // The query is tuned on every user's held-out events, not only the validation users': the
  // tower never trained on any of them, and two settings tuned on ~130 users flipped between
  // near-ties from seed to seed (ADR 0052). Only the blend needs users the ranker did not see.
  // The prior counts the events the tower learned from, so the tuned tower's leaves the holdout out.
  const prior = (t: TowerEnsemble, events: Int32Array): Float32Array =>
    popularityPrior(allTimePopularity(data, events), t.members[0]!.config.temperature);
  const tuneEvents = withoutPositions(split.train, holdout);
  const tunePrior = options.popularityPrior !== false ? prior(tower, tuneEvents) : undefined;
  // Like the prior, the co-occurrence table counts the events the tower learned from (ADR 0078).
  const coocOptions = options.coOccurrence === false ? undefined : { ...DEFAULT_CO_OCCURRENCE, ...options.coOccurrence };
  const table = (events: Int32Array) => buildCoOccurrence(data.user, data.item, events, data.itemIds.length, coocOptions);
  const tuneTable = coocOptions ? table(tuneEvents) : undefined;
  const rankerLoss = options.rankerLoss ?? DEFAULT_RANKER_LOSS;
  const {
    best: history,
    popularityWeight,
    coOccurrenceWeight,
  } = await timer.step(`${p}:tune-history-query`, () => {
    const all = validationSlice(data, split, holdout, { share: 1, maxUsers: Number.POSITIVE_INFINITY, seed });
    const tuned = tuneRetrievalQuery({
      tower,
      itemEmbeddings,
      relevant: all.relevant,
      requests: heldOutRequests(all, ttData, data, split),
      ...(tunePrior ? { prior: tunePrior } : {}),
      ...(tuneTable ? { coOccurrence: tuneTable } : {}),
    });
    // Keys without '/p' are the first pass: the recent-items grid without the prior (tuneRetrievalQuery).
    const noPrior = Math.max(...[...tuned.ndcg].filter(([k]) => !k.includes('/p')).map(([, v]) => v));
    const at = (w: number, d: number): string =>
      [...tuned.ndcg]
        .filter(([k]) => k === `w${w}/d${d}` || k.startsWith(`w${w}/d${d}/`))
        .map(([k, v]) => `${k}:${v.toFixed(4)}`)
        .join(' ');
    timer.log(
      `  ${p}: recent items weight ${tuned.best.weight}, decay ${tuned.best.decay}, popularity prior ${tuned.popularityWeight}` +
        `${tuneTable ? `, co-occurrence ${tuned.coOccurrenceWeight}` : ''} on ${all.firstPos.size} held-out users (retrieval NDCG@20 ${Math.max(...tuned.ndcg.values()).toFixed(4)}, best without the prior ${noPrior.toFixed(4)}; ${at(tuned.best.weight, tuned.best.decay)})`,
    );
    return tuned;
  });
  const tuneBias = tunePrior && popularityWeight !== 0 ? retrievalBias(tunePrior, popularityWeight) : undefined;
  const tuneCooc = tuneTable ? { table: tuneTable, weight: coOccurrenceWeight } : undefined;
  const rankerData = await timer.step(`${p}:ranker-training-set`, async () => {
    const examples = sampleRankerExamples({
      data,
      train: split.train,
      userFeatures: ttData.userFeatures,
      params: tower,
      itemEmbeddings,
      from: validation.rankerFrom,
      positives: options.rankerPositives ?? 12000,
      negatives: options.rankerNegatives ?? 8,
      sources,
      lookupOffsetMs: LOOKUP_OFFSET_MS,
      seed,
      recentItems: ttData.recentItems,
      history,
      ...(tuneBias ? { itemBias: tuneBias } : {}),
      ...(tuneCooc ? { coOccurrence: tuneCooc } : {}),
    });
    if (!examples.some((x) => x.label === 1)) {
      throw new FrecError(
        ErrorCode.INVALID_REQUEST,
        `No held-out interaction of the ${p} split was retrieved by any candidate source, so the ranker has no positive example.`,
        {
          where: { protocol: p },
          hint: 'Use more users (drop --max-users), more rankerPositives, or more candidates.',
        },
      );
    }
    const set = await rankerTrainingSet(store, data, examples, catalog.genresOf);
    if (rankerLoss !== 'listwise') return set;
    // Each request's rows are its positive followed by its negatives (sampleRankerExamples).
    let g = -1;
    return { ...set, group: Int32Array.from(examples, (x) => (x.label === 1 ? ++g : g)) };
  });
  const ranker = await timer.step(
    `${p}:train-ranker`,
    () =>
      trainRanker(
        rankerData,
        { seed, ...options.ranker },
        {
          onEpoch: (s) =>
            timer.progress(`${p}:train-ranker`, `epoch ${s.epoch} loss ${s.loss.toFixed(4)} (${Math.round(s.examplesPerSecond)} ex/s)`),
        },
      ).params,
  );
  const blend = await timer.step(`${p}:tune-blend`, async () => {
    const requests = heldOutRequests(validation, ttData, data, split);
    const scored = await scoreTwoStage({
      store,
      data,
      tower,
      ranker,
      itemEmbeddings,
      genresOf: catalog.genresOf,
      sources,
      history,
      requests,
      ...(tuneBias ? { itemBias: tuneBias } : {}),
      ...(tuneCooc ? { coOccurrence: tuneCooc } : {}),
      userVecs: new Map(requests.map((q) => [q.user, q.vector])),
      recent: new Map(requests.map((q) => [q.user, q.recent])),
    });
    const tuned = tuneBlend(scored, validation.relevant, undefined, options.blendRule ?? 'one-se');
    const rule =
      tuned.best === 0 ? '' : `; best ${tuned.best}: gain over 0 ${tuned.gain.toFixed(4)}, one standard error ${tuned.gainSe.toFixed(4)}`;
    timer.log(
      `  ${p}: blend weight ${tuned.weight} on ${requests.length} validation users (NDCG@20 ${[...tuned.ndcg].map(([w, v]) => `${w}:${v.toFixed(4)}`).join(' ')}${rule})`,
    );
    return tuned.weight;
  });
  // Every choice above was made on the holdout; the served retriever then learns from all
  // training events, the holdout included: it is the most recent tenth of each user's history.
  const final = await timer.step(`${p}:refit-two-tower`, async () => {
    const t = await prep.served;
    // Without a refit the served tower is the tuned one, and so is its bias.
    const itemBias =
      t === tower ? tuneBias : tunePrior && popularityWeight !== 0 ? retrievalBias(prior(t, split.train), popularityWeight) : undefined;
    const coOccurrence = t === tower || !tuneCooc ? tuneCooc : { table: table(split.train), weight: coOccurrenceWeight };
    return { tower: t, itemEmbeddings: t === tower ? itemEmbeddings : embedCatalog(t, catalog), itemBias, coOccurrence };
  });
  await timer.step(`${p}:evaluate`, async () => {
    const users = [...split.test.keys()];
    const inputs = await userInputsAt(
      store,
      data,
      users.map((u) => ({ user: u, atMs: split.evalTimeMs.get(u)! })),
      catalog.genresOf,
    );
    const userVecs = new Map(users.map((u, i) => [u, inputs.vectors.slice(i * D_USER, (i + 1) * D_USER)]));
    const recent = new Map(users.map((u, i) => [u, inputs.recent[i]!]));
    results.push(
      evaluate('two_tower', split, seen, twoTowerRank(final.tower, final.itemEmbeddings, userVecs, recent, history, final.itemBias), {
        recall500: true,
      }),
    );
    const empty = new Set<number>();
    const scored = await scoreTwoStage({
      store,
      data,
      tower: final.tower,
      ranker,
      itemEmbeddings: final.itemEmbeddings,
      genresOf: catalog.genresOf,
      userVecs,
      sources,
      recent,
      history,
      ...(final.itemBias ? { itemBias: final.itemBias } : {}),
      ...(final.coOccurrence ? { coOccurrence: final.coOccurrence } : {}),
      // At blend weight 0 the two-stage order is the retrieval score's: the ranker's scores would be multiplied by 0.
      scoreRanker: blend !== 0 || options.reportBlends === true,
      requests: users.map((u) => ({ user: u, atMs: split.evalTimeMs.get(u)!, exclude: seen.get(u) ?? empty })),
    });
    results.push(evaluate('two_tower+dcn_v2', split, seen, blendRank(scored, blend)));
    if (options.reportBlends) for (const w of [0, 1]) results.push(evaluate(`two_stage_w${w}`, split, seen, blendRank(scored, w)));
  });
  return {
    split,
    tower: final.tower,
    ranker,
    catalog,
    itemEmbeddings: final.itemEmbeddings,
    trainRows: prep.trainRows,
    blendWeight: blend,
    history,
    popularityWeight,
    rankerLoss,
    ...(final.itemBias ? { itemBias: final.itemBias } : {}),
    ...(final.coOccurrence && coocOptions ? { coOccurrence: { ...final.coOccurrence, ...coocOptions } } : {}),
  };
}

/**
 * One request per user of a held-out slice, asked at the user's first held-out event: the
 * point-in-time user vector and recent items of that training example, the items to exclude.
 */
function heldOutRequests(slice: ValidationSlice, tt: TwoTowerSet, data: Interactions, split: Split) {
  const firstSeen = split.itemFirstSeenMs;
  return [...slice.firstPos].map(([user, j]) => {
    const atMs = data.timeMs[split.train[j]!]! - LOOKUP_OFFSET_MS;
    const seen = slice.exclude.get(user) ?? new Set<number>();
    return {
      user,
      vector: tt.userFeatures.slice(j * D_USER, (j + 1) * D_USER),
      recent: tt.recentItems[j]!,
      exclude: firstSeen ? excludeAt(firstSeen, atMs, seen) : seen,
      atMs,
    };
  });
}

/** Training events (split.train) without the given positions in it (the ranker's held-out events). */
function withoutPositions(train: Int32Array, drop: Int32Array): Int32Array {
  const skip = new Uint8Array(train.length);
  for (const r of drop) skip[r] = 1;
  return train.filter((_, i) => !skip[i]);
}

/** The two-tower data without the given rows (the ranker's held-out events). */
function withoutRows(d: TwoTowerData, drop: Int32Array): TwoTowerData {
  const skip = new Uint8Array(d.userIndex.length);
  for (const r of drop) skip[r] = 1;
  const keep: number[] = [];
  for (let i = 0; i < skip.length; i++) if (!skip[i]) keep.push(i);
  const userFeatures = new Float32Array(keep.length * d.dUser);
  keep.forEach((r, i) => userFeatures.set(d.userFeatures.subarray(r * d.dUser, (r + 1) * d.dUser), i * d.dUser));
  const recentItems = d.recentItems ? keep.map((r) => d.recentItems![r]!) : undefined;
  return {
    ...d,
    userIndex: Int32Array.from(keep, (r) => d.userIndex[r]!),
    itemIndex: Int32Array.from(keep, (r) => d.itemIndex[r]!),
    userFeatures,
    ...(recentItems ? { recentItems } : {}),
  };
}
