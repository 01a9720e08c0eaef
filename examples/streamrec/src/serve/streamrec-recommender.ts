import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExactItemIndex, HnswItemIndex, saveItemIndex } from '@frec/model-serving/item-index';
import { RetrievalScoreRanker, type Ranker } from '@frec/model-serving/ranking';
import { DegradationLevel, type StageBudgets } from '@frec/model-serving/resilience';
import { ShadowScorer } from '@frec/model-serving/shadow';
import { FeatureLogger, ImpressionLogger } from '@frec/monitoring';
import {
  AnnSource,
  ColdStartModel,
  ContentSimilaritySource,
  CoOccurrenceSource,
  ExposureTracker,
  InMemoryCatalog,
  ReloadableItemIndex,
  Recommender,
  RecommendMetrics,
  TrendingSource,
  fitPopulationPrior,
  svdItemEmbeddings,
  type FeatureLookup,
  type ItemId,
  type UserFeatures,
  type VectorIndex,
} from '../recommender/index.js';
import { GENRES } from '../data/genres.js';
import { servedUserQuery } from './user-query.js';
import { ensembleDim } from '../models/index.js';
import { DEFAULT_CO_OCCURRENCE, withBiasColumn, withUnitColumn } from '../retrieval/index.js';
import { D_CONTEXT, D_ITEM, D_USER, RANKER_FEATURE_NAMES, SIGNALS_AT, writeRelativeColumns } from '../training-sets/build-training-sets.js';
import { parseRankerManifestParams } from '../models/manifest-params.js';
import { halfLivesMs, ItemTimeline, writeRequestSignals } from '../ranking/request-signals.js';
import { requestContextAt, writeContextVector, writeItemVector, writeUserVector } from '../training-sets/vectorize.js';
import { contextFeatures } from '../../feature_repo/features.js';
import { loadProductionModels, type LoadedModels } from './load-models.js';
import { repoItemVectors } from './repo-item-vectors.js';
import { USER_FEATURE_REFS } from './user-feature-refs.js';
import {
  DEFAULT_DATA_DIR,
  genreVector,
  itemFeatureRows,
  readMovieLens,
  userFeatureRow,
  type MovieLensSnapshot,
} from './movielens-snapshot.js';

/** The StreamRec feature repo folder (feature_store.yaml, features.ts, data/models). */
export const FEATURE_REPO = fileURLToPath(new URL('../../feature_repo', import.meta.url));

/** Where user features come from at request time. */
export type UserFeatureSource =
  /** Computed from the data snapshot in memory: the embedded default, no online store needed. */
  | { kind: 'memory' }
  /** A lookup over the online store (FeatureStore.getOnlineFeatures), returning raw feature rows. */
  | { kind: 'lookup'; lookup: (userId: number, signal: AbortSignal) => Promise<{ row: Record<string, unknown>; stale: boolean }> };

/** Options of the StreamRec recommender. */
export interface StreamRecOptions {
  /** MovieLens folder (default: the vendored latest-small). */
  dataDir?: string;
  /** Model registry location (default: <feature_repo>/data/models). */
  modelRegistry?: string;
  /** Use these models instead of reading the registry. */
  models?: LoadedModels;
  /** Replace the production ranker (e.g. a TritonRanker). */
  ranker?: Ranker;
  features?: UserFeatureSource;
  budgets?: Partial<StageBudgets>;
  /** Fraction of requests a candidate ranker (if registered) scores in shadow mode (default 0.1). */
  shadowSampleRate?: number;
  /**
   * Item features: 'repo' reads them from the feature repo's offline store as training did
   * (falls back to 'snapshot' when the repo has no data); 'snapshot' computes them from the data set.
   */
  itemFeatures?: 'repo' | 'snapshot';
  /** Feature repo for 'repo' item features (default: feature_repo). */
  repoPath?: string;
  /**
   * Folder of saved item-index versions (default: <feature_repo>/data/ann). With trained two-tower
   * embeddings, serving loads the newest verified version (the previous one if the newest is corrupt)
   * and builds and saves an HNSW index when none matches the model (ADR 0061).
   */
  indexDir?: string;
  /** The item index: overrides the above. */
  index?: (ids: readonly number[], vectors: Float32Array, dim: number) => VectorIndex;
  log?: (line: string) => void;
  /** Sampled logging of the user features each request reads (docs/monitoring-contract.md); off when absent. */
  featureLog?: { dir: string; sampleRate: number; flushRows?: number };
  /** Logging of served lists for engagement tracking; off when absent (sampleRate default 1: every list). */
  impressionLog?: { dir: string; sampleRate?: number; flushRows?: number };
  /** Random source of the logs' sampling, seeded in tests. */
  random?: () => number;
}

/** What buildStreamRec returns: the request path and the pieces tests and demos inspect. */
export interface StreamRec {
  recommender: Recommender;
  metrics: RecommendMetrics;
  snapshot: MovieLensSnapshot;
  catalog: InMemoryCatalog;
  models: LoadedModels;
  titles: Map<number, string>;
  coldStart: ColdStartModel;
  shadow?: ShadowScorer;
  /** Interactions per item in the served data: the gate's zero-impression check reads it. */
  impressionsOf: (id: ItemId) => number;
  featureLog?: FeatureLogger;
  impressionLog?: ImpressionLogger;
  close(): Promise<void>;
}

/** The saved index for `model`, built and saved as a new inner-product HNSW version when none matches it. */
export async function servedIndex(
  dir: string,
  model: string,
  ids: number[],
  vectors: Float32Array,
  dim: number,
  log: (l: string) => void,
): Promise<ReloadableItemIndex> {
  const holder = new ReloadableItemIndex(dir, (r) => {
    for (const s of r.skipped) log(`warning: item index ${s.version} skipped (${s.code}); serving ${r.version}`);
  });
  const loaded = await holder.reload().catch(() => undefined);
  // The dimension too: the same model serves dim + 1 columns once it carries a popularity prior.
  // And the metric: an index saved before it was inner product (cosine L2-normalised the bias column away) is rebuilt.
  if (loaded?.metadata.model === model && loaded.metadata.dim === String(dim) && loaded.metadata.metric === 'ip') return holder;
  try {
    // Inner product, not cosine: the served order must be q . v + bias (ADR 0077), and cosine would
    // normalise each item row, bias column included, before the product.
    await saveItemIndex(dir, HnswItemIndex.build(ids, vectors, dim, { metric: 'ip' }), {
      metadata: { model, dim: String(dim), metric: 'ip' },
    });
  } catch (err) {
    // Another process saved the same version first: load what it wrote.
    log(`note: saving the item index failed (${(err as Error).message}); reloading`);
  }
  await holder.reload();
  return holder;
}

const dot = (a: Float32Array, ao: number, b: Float32Array, bo: number, d: number): number => {
  let s = 0;
  for (let j = 0; j < d; j++) s += a[ao + j]! * b[bo + j]!;
  return s;
};

/**
 * Wires StreamRec's request path: catalog and histories from MovieLens, the registered two-tower
 * (ANN source) and DCN-V2 ranker, co-occurrence, content and trending sources, the Bayesian
 * cold-start model, re-ranking rules, and shadow mode for a candidate ranker.
 */
export async function buildStreamRec(options: StreamRecOptions = {}): Promise<StreamRec> {
  const log = options.log ?? (() => {});
  const snap = readMovieLens(options.dataDir ?? DEFAULT_DATA_DIR);
  const models =
    options.models ?? (await loadProductionModels({ registry: options.modelRegistry ?? path.join(FEATURE_REPO, 'data/models') }));
  for (const n of models.notes) log(`note: ${n}`);
  const titles = new Map(snap.movies.map((m) => [m.id, m.title]));
  const genresOf = new Map(snap.movies.map((m) => [m.id, genreVector(m.genres)]));

  // Item vectors in the ranker's layout, one per catalog item.
  let itemVec: Map<number, Float32Array> | undefined;
  if ((options.itemFeatures ?? 'repo') === 'repo') {
    itemVec = await repoItemVectors(options.repoPath ?? FEATURE_REPO, snap.maxTimeMs).catch((err: Error) => {
      log(`note: item features from the feature repo failed (${err.message}); computing them from the data set`);
      return undefined;
    });
  }
  if (!itemVec) {
    const itemRows = itemFeatureRows(snap);
    itemVec = new Map();
    for (const m of snap.movies) {
      const v = new Float32Array(D_ITEM);
      writeItemVector(itemRows.get(m.id)!, v, 0);
      itemVec.set(m.id, v);
    }
  }
  const vecs = itemVec;
  const catalog = new InMemoryCatalog(snap.movies.map((m) => ({ id: m.id, genres: m.genres, features: vecs.get(m.id) })));

  // Retrieval embeddings: the trained two-tower when registered, else a truncated SVD of the histories.
  const histories = [...snap.histories.values()].map((h) => h.items);
  const svd = svdItemEmbeddings(histories, { dim: 24, seed: 1 });
  const tt = models.twoTower;
  let ids: number[];
  let vectors: Float32Array;
  let dim: number;
  let userVector: (f: UserFeatures, userId: string | number) => Float32Array;
  const userIndex = new Map((tt?.userIds ?? []).map((u, i) => [u, i]));
  if (tt && tt.itemEmbeddings && tt.itemIds && tt.itemEmbeddings.length === tt.itemIds.length * ensembleDim(tt.params)) {
    ids = tt.itemIds;
    const emb = tt.itemEmbeddings;
    const towerDim = ensembleDim(tt.params);
    const row = new Map(ids.map((id, r) => [id, r]));
    const query = (f: UserFeatures, userId: string | number): Float32Array =>
      servedUserQuery(tt, userIndex.get(Number(userId)) ?? -1, f.vector, f.values ?? {}, row, emb);
    if (tt.itemBias && tt.itemBias.length === ids.length) {
      // The popularity prior as one more column (ADR 0077): the ANN and the ranker's retrieval-score
      // feature then score q . v + bias, as the pipeline evaluated and trained the ranker.
      vectors = withBiasColumn(emb, towerDim, tt.itemBias);
      dim = towerDim + 1;
      userVector = (f, userId) => withUnitColumn(query(f, userId));
    } else {
      vectors = emb;
      dim = towerDim;
      userVector = query;
    }
  } else {
    ids = svd.ids as number[];
    vectors = svd.embeddings;
    dim = svd.dim;
    const row = new Map(ids.map((id, r) => [id, r]));
    userVector = (f) => {
      const q = new Float32Array(dim);
      for (const id of f.recentItems) {
        const r = row.get(Number(id));
        if (r !== undefined) for (let j = 0; j < dim; j++) q[j]! += vectors[r * dim + j]!;
      }
      return q;
    };
  }
  const embRow = new Map(ids.map((id, r) => [id, r]));
  let index: VectorIndex;
  if (options.index) index = options.index(ids, vectors, dim);
  else if (tt && ids === tt.itemIds)
    index = await servedIndex(options.indexDir ?? path.join(FEATURE_REPO, 'data/ann'), tt.version, ids, vectors, dim, log);
  else {
    // Raw inner product over the SVD embeddings: the query is a sum of item rows, not a unit vector.
    const exact = ExactItemIndex.fromVectors(ids, vectors, dim, 'ip');
    exact.version = 'exact:svd';
    index = exact;
  }
  const ann = new AnnSource({
    index,
    userVector: (f) => (f.values?.userEmbedding as Float32Array | undefined) ?? new Float32Array(dim),
    version: tt?.version ?? 'svd-item-embeddings',
  });

  const events = [...snap.histories.values()].flatMap((h) => h.items.map((itemId, i) => ({ itemId, timeMs: h.timesMs[i]! })));
  const trending = TrendingSource.fromEvents(events, { nowMs: snap.maxTimeMs, halfLifeMs: 30 * 86_400_000, version: 'trending-30d' });
  // The table as the pipeline built it (ADR 0078), from the histories serving holds.
  const cooc = tt?.coOccurrence ?? { ...DEFAULT_CO_OCCURRENCE, weight: 0 };
  const coOccurrence = CoOccurrenceSource.fromHistories(histories, {
    window: cooc.window,
    neighbours: cooc.neighbours,
    version: `co-occurrence-w${cooc.window}-n${cooc.neighbours}`,
  });
  const content = new ContentSimilaritySource(
    snap.movies.map((m) => ({ id: m.id, vector: [...genreVector(m.genres), ((m.year ?? 1995) - 1990) / 30] })),
    { version: 'content-genres' },
  );

  const svdRow = new Map(svd.ids.map((id, r) => [id as number, r]));
  const prior = fitPopulationPrior({ embeddings: svd.embeddings, dim: svd.dim, users: histories.map((h) => h.map((m) => svdRow.get(m)!)) });
  const coldStart = new ColdStartModel({ prior, embeddings: svd.embeddings, ids: svd.ids, threshold: 5, version: 'cold-start-blr' });

  // Features: raw rows (memory or online store) -> the model's user vector, recent items and the user embedding.
  const source = options.features ?? { kind: 'memory' };
  // A user's rated items, as a set built once per user: the snapshot never changes while serving.
  const historySets = new Map<number, ReadonlySet<number>>();
  const seenItemsOf = (userId: number, recentItems: readonly number[]): ReadonlySet<number> => {
    let set = historySets.get(userId);
    if (!set) historySets.set(userId, (set = new Set(snap.histories.get(userId)?.items ?? [])));
    // Recent items are usually in the history already; only newer ones need a copy of the set.
    for (const id of recentItems) if (!set.has(id)) return new Set([...set, ...recentItems]);
    return set;
  };
  const toUserFeatures = (userId: number, row: Record<string, unknown>, stale: boolean): UserFeatures => {
    const vector = new Float32Array(D_USER);
    writeUserVector(row, genresOf, vector, 0);
    const last = (row.last_10_items as number[] | null | undefined) ?? [];
    const recentItems = [...last].map(Number).reverse();
    const f: UserFeatures = {
      vector,
      recentItems,
      seenItems: seenItemsOf(userId, recentItems),
      interactionCount: Number(row.n_ratings ?? recentItems.length),
      stale,
      values: row,
    };
    f.values = { ...row, userEmbedding: userVector(f, userId) };
    return f;
  };
  // Memory features are a pure function of the (immutable) snapshot: computed once per user.
  const memoryRows = new Map<number, Record<string, unknown>>();
  const memoryRow = (userId: number): Record<string, unknown> => {
    let row = memoryRows.get(userId);
    if (!row) memoryRows.set(userId, (row = userFeatureRow(snap.histories.get(userId), genresOf)));
    return row;
  };
  const featureLog = options.featureLog
    ? new FeatureLogger({
        dir: options.featureLog.dir,
        sampleRate: options.featureLog.sampleRate,
        writer: 'recommender',
        flushRows: options.featureLog.flushRows,
        random: options.random,
      })
    : undefined;
  // The values the request path read, by 'view:feature', for the sampled requests.
  const logRead = (userId: number, row: Record<string, unknown>): void => {
    if (!featureLog?.sample()) return;
    const values: Record<string, unknown> = {};
    for (const [name, ref] of Object.entries(USER_FEATURE_REFS)) values[ref] = row[name] ?? null;
    featureLog.logRow({
      requestId: `user-${userId}-${Date.now()}`,
      service: 'streamrec-recommender',
      entityKey: `user_id=${userId}`,
      values,
    });
  };
  const features: FeatureLookup =
    source.kind === 'memory'
      ? async (userId) => {
          const row = memoryRow(Number(userId));
          logRead(Number(userId), row);
          return toUserFeatures(Number(userId), row, false);
        }
      : async (userId, _ctx, signal) => {
          const { row, stale } = await source.lookup(Number(userId), signal);
          logRead(Number(userId), row);
          return toUserFeatures(Number(userId), row, stale);
        };

  // Context features depend on the UTC hour (and weekday) only: one vector per hour.
  let ctxHour = NaN;
  let ctxCached = new Float32Array(D_CONTEXT);
  const ctxVector = (ms: number): Float32Array => {
    const hour = Math.floor(ms / 3_600_000);
    if (hour !== ctxHour) {
      const out = new Float32Array(D_CONTEXT);
      writeContextVector(contextFeatures.transform(requestContextAt(ms)) as Record<string, unknown>, out, 0);
      ctxCached = out;
      ctxHour = hour;
    }
    return ctxCached;
  };
  const d = RANKER_FEATURE_NAMES.length;
  const zeros = new Float32Array(D_ITEM);
  // The item side of a ranker row, per item, built once from the catalog (item features are daily
  // batch values, fixed for this process's catalog): features and the embedding row in one lookup.
  const itemSide = new Map<number, { features: Float32Array; embOffset: number }>();
  for (const id of catalog.ids() as number[]) {
    const r = embRow.get(id);
    itemSide.set(id, { features: catalog.features(id) ?? zeros, embOffset: r === undefined ? -1 : r * dim });
  }
  const NO_ITEM = { features: zeros, embOffset: -1 };
  // The ranker's request signals (issue 21) from the events serving holds, at the half-lives it was trained with.
  const timelineIds = [...new Set(events.map((e) => e.itemId as number))];
  const timelineRow = new Map(timelineIds.map((id, r) => [id, r]));
  const rankerParams = models.manifests?.ranker ? parseRankerManifestParams(models.manifests.ranker) : undefined;
  const timeline = new ItemTimeline(
    events.map((e) => timelineRow.get(e.itemId as number)!),
    events.map((e) => e.timeMs),
    timelineIds.length,
    rankerParams?.signalHalfLivesMs ?? halfLivesMs(events.map((e) => e.timeMs).sort((a, b) => a - b)),
  );

  const metrics = new RecommendMetrics();
  // Model age (frec_model_age_seconds): since each served model's training data ends.
  for (const [model, m] of Object.entries({ two_tower: models.manifests?.twoTower, ranker: models.manifests?.ranker }))
    if (m) metrics.setServedModel(model, `${m.name}@${m.version}`, Date.parse(m.trainingData.end));
  const impressionLog = options.impressionLog
    ? new ImpressionLogger({
        dir: options.impressionLog.dir,
        sampleRate: options.impressionLog.sampleRate ?? 1,
        flushRows: options.impressionLog.flushRows,
        random: options.random,
      })
    : undefined;
  const itemCounts = new Map<number, number>();
  for (const h of snap.histories.values()) for (const id of h.items) itemCounts.set(id, (itemCounts.get(id) ?? 0) + 1);
  const ranker = options.ranker ?? models.ranker ?? new RetrievalScoreRanker();
  if (!options.ranker && !models.ranker) log('note: no trained ranker found; ranking by the fused retrieval score');
  const shadow = models.shadowRanker
    ? new ShadowScorer({ ranker: models.shadowRanker, sampleRate: options.shadowSampleRate ?? 0.1 }, metrics)
    : undefined;
  const recommender = new Recommender({
    catalog,
    sources: [
      { source: ann, k: 250 },
      { source: coOccurrence, k: 150 },
      { source: content, k: 150 },
      { source: trending, k: 100 },
    ],
    features,
    defaultFeatures: (userId) => toUserFeatures(Number(userId), {}, true),
    ranker,
    fallbackRanker: new RetrievalScoreRanker(),
    buildBatch: (f, candidates, context) => {
      const n = candidates.length;
      // One Float32Array for the whole batch; user and context parts are the same on every row.
      const x = new Float32Array(n * d);
      const ctx = ctxVector(context.timeMs ?? Date.now());
      const u = f.values?.userEmbedding as Float32Array | undefined;
      if (n > 0) {
        x.set(f.vector, 0);
        x.set(ctx, D_USER + D_ITEM);
        // Row 0 to every row by doubling memmoves (log2 n calls instead of two set() calls per row).
        for (let filled = 1; filled < n; filled *= 2) x.copyWithin(filled * d, 0, Math.min(filled, n - filled) * d);
      }
      // The retrieval score as evaluated: q . v (+ the prior's column) + weight x co-occurrence with the recent items.
      // Raw co-occurrence with the recent items: a ranker input, and in the retrieval score at its weight.
      const co = coOccurrence.scoreItems(
        f.recentItems,
        candidates.map((c) => c.itemId),
      );
      const atMs = context.timeMs ?? Date.now();
      for (let i = 0; i < n; i++) {
        const id = candidates[i]!.itemId as number;
        const side = itemSide.get(id) ?? NO_ITEM;
        const o = i * d;
        x.set(side.features, o + D_USER);
        writeRequestSignals(x, o + SIGNALS_AT, o, o + D_USER, timeline, timelineRow.get(id) ?? -1, atMs, co[i]!);
        x[o + d - 1] =
          (u && side.embOffset >= 0 ? dot(u, 0, vectors, side.embOffset, dim) : 0) + (cooc.weight > 0 ? cooc.weight * co[i]! : 0);
      }
      // Where each candidate stands in this batch, as the ranker learned it over the offline pool.
      writeRelativeColumns(x, 0, n);
      const features = { data: x, dims: [n, d] };
      // A plain loop: Float32Array.from with a map function goes through the iterator protocol.
      const retrieval = new Float32Array(n);
      for (let i = 0; i < n; i++) retrieval[i] = candidates[i]!.retrievalScore;
      // 'features' is the exported DCN-V2 graph's input name; 'x' the simple rankers'.
      return { size: n, inputs: { x: features, features, retrieval_score: { data: retrieval, dims: [n, 1] } } };
    },
    popular: () => trending.list(),
    coldStart,
    shadow,
    metrics,
    ...(impressionLog
      ? {
          onServed: (req, res) =>
            impressionLog.log({
              requestId: req.requestId,
              userId: req.userId,
              items: res.items,
              modelVersion: res.modelVersions.ranker ?? 'unknown',
              arm: res.arm,
              level: res.degradationLevel,
              ...(req.context?.timeMs !== undefined ? { servedAt: new Date(req.context.timeMs) } : {}),
            }),
        }
      : {}),
    budgets: options.budgets,
    rerank: {
      diversity: { kind: 'genre-cap', maxPerGenre: 8 },
      exposure: { tracker: new ExposureTracker(), catalogSize: catalog.size, target: 0.95, slots: 2 },
    },
  });
  log(
    `StreamRec ready: ${catalog.size} items, ${snap.histories.size} users; ranker ${ranker.version}; retrieval ${ann.version}; ` +
      `features ${source.kind}; genres ${GENRES.length}; level when healthy ${DegradationLevel.FULL}`,
  );
  return {
    recommender,
    metrics,
    snapshot: snap,
    catalog,
    models,
    titles,
    coldStart,
    shadow,
    impressionsOf: (id: ItemId) => itemCounts.get(Number(id)) ?? 0,
    featureLog,
    impressionLog,
    close: async () => {
      await shadow?.drain();
      await featureLog?.close();
      await impressionLog?.close();
      // Models passed in by the caller are the caller's to close.
      if (options.models || options.ranker) return;
      await ranker.close();
      await models.shadowRanker?.close();
    },
  };
}
