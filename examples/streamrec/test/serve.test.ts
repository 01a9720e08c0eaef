import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelRegistry, LocalModelStore } from '@frec/model-registry';
import { queryParquet, sqlLiteral } from '@frec/monitoring';
import { TritonRanker, type Ranker } from '@frec/model-serving/ranking';
import { CoOccurrenceSource } from '../src/recommender/index.js';
import { exportRankerOnnx } from '../src/export/index.js';
import { asEnsemble, deserializeParams, serializeParams, trainRanker, trainTwoTower, itemTowerForward } from '../src/models/index.js';
import { rankerManifestParams, twoTowerManifestParams } from '../src/models/manifest-params.js';
import { popularityPrior, retrievalBias } from '../src/retrieval/index.js';
import type { DcnParams } from '../src/models/types.js';
import { startKServeServer } from '../../../packages/model-serving/test/helpers/kserve-test-server.js';
import { D_CONTEXT, D_ITEM, D_USER, RANKER_FEATURE_NAMES } from '../src/training-sets/build-training-sets.js';
import { writeItemVector, writeUserVector } from '../src/training-sets/vectorize.js';
import { genreVector, itemFeatureRows, readMovieLens, userFeatureRow } from '../src/serve/movielens-snapshot.js';
import { loadProductionModels } from '../src/serve/load-models.js';
import { onlineUserFeatures, type OnlineUserFeatures } from '../src/serve/online-user-features.js';
import { recommend, startRecommender, type RunningRecommender } from '../src/serve/start-recommender.js';

// Small, seeded, quickly trained models registered in the pipeline's artifact format, so the
// test covers registry loading, checksum verification and the real model code paths.
const snap = readMovieLens();
// Generous stage budgets: these tests check wiring, not timeouts, on 2 shared cores.
const TEST_BUDGETS = { features: 1000, retrieval: 1000, ranking: 1000, total: 4000 };
const dir = mkdtempSync(path.join(tmpdir(), 'streamrec-serve-'));
let rec: RunningRecommender;
let online: OnlineUserFeatures | undefined;
const keyPrefix = `frec-test-${randomUUID()}:`;

async function registerTinyModels(registryDir: string): Promise<void> {
  const itemIds = snap.movies.map((m) => m.id);
  const userIds = [...snap.histories.keys()].sort((a, b) => a - b);
  const itemIx = new Map(itemIds.map((id, i) => [id, i]));
  const genresOf = new Map(snap.movies.map((m) => [m.id, genreVector(m.genres)]));
  const rows = itemFeatureRows(snap);
  const itemFeatures = new Float32Array(itemIds.length * D_ITEM);
  itemIds.forEach((id, i) => writeItemVector(rows.get(id)!, itemFeatures, i * D_ITEM));
  const pairs: Array<[number, number]> = [];
  userIds.forEach((u, ui) =>
    snap.histories
      .get(u)!
      .items.slice(-8)
      .forEach((m) => pairs.push([ui, itemIx.get(m)!])),
  );
  const userVec = new Map(
    userIds.map((u) => {
      const v = new Float32Array(D_USER);
      writeUserVector(userFeatureRow(snap.histories.get(u), genresOf), genresOf, v, 0);
      return [u, v] as const;
    }),
  );
  const userFeatures = new Float32Array(pairs.length * D_USER);
  pairs.forEach(([ui], i) => userFeatures.set(userVec.get(userIds[ui]!)!, i * D_USER));
  const tower = trainTwoTower(
    {
      numUsers: userIds.length,
      numItems: itemIds.length,
      userIndex: Int32Array.from(pairs, (p) => p[0]),
      itemIndex: Int32Array.from(pairs, (p) => p[1]),
      dUser: D_USER,
      userFeatures,
      dItem: D_ITEM,
      itemFeatures,
    },
    { epochs: 1, seed: 3, embeddingDim: 8, hidden: [16], outputDim: 8 },
  ).params;
  const itemEmbeddings = itemTowerForward(tower, itemFeatures);
  // A popularity prior (ADR 0077) on the retrieval score, as the pipeline registers it.
  const counts = new Float32Array(itemIds.length);
  for (const [, it] of pairs) counts[it]! += 1;
  const itemBias = retrievalBias(popularityPrior(counts, tower.config.temperature), 0.5);
  const d = RANKER_FEATURE_NAMES.length;
  const n = pairs.length * 2;
  const x = new Float32Array(n * d);
  const y = new Float32Array(n);
  pairs.forEach(([ui, it], i) => {
    for (const [r, item, label] of [
      [2 * i, it, 1],
      [2 * i + 1, (it * 7919 + 13) % itemIds.length, 0],
    ] as const) {
      x.set(userVec.get(userIds[ui]!)!, r * d);
      x.set(itemFeatures.subarray(item * D_ITEM, (item + 1) * D_ITEM), r * d + D_USER);
      x[r * d + D_USER + D_ITEM + D_CONTEXT] = label ? 0.5 : 0;
      y[r] = label;
    }
  });
  const ranker = (seed: number) =>
    trainRanker({ n, d, x, y, featureNames: [...RANKER_FEATURE_NAMES] }, { epochs: 1, seed, hidden: [16] }).params;
  const reg = new ModelRegistry(new LocalModelStore(registryDir));
  const enc = new TextEncoder();
  const ids = enc.encode(JSON.stringify({ userIds, itemIds }));
  const trainingData = { start: '2000-01-01T00:00:00Z', end: '2018-01-01T00:00:00Z' };
  const exists = async () => true;
  // The co-occurrence term of the retrieval score (ADR 0078), as the pipeline registers it.
  const t = await reg.register({
    name: 'two_tower',
    featureService: 'two_tower_v1',
    trainingData,
    params: twoTowerManifestParams(asEnsemble(tower), {
      history: { weight: 0, decay: 1 },
      popularityWeight: 0.5,
      coOccurrence: { weight: 0.5, window: 10, neighbours: 400 },
    }),
    artifacts: [
      { path: 'params.json', data: enc.encode(serializeParams(tower)) },
      { path: 'item_embeddings.f32', data: new Uint8Array(itemEmbeddings.buffer.slice(0)) },
      { path: 'item_bias.f32', data: new Uint8Array(itemBias.buffer.slice(0)) },
      { path: 'ids.json', data: ids },
    ],
  });
  await reg.promote('two_tower', t.version, { featureServiceExists: exists });
  const r1Params = ranker(1),
    r2Params = ranker(2);
  const r1 = await reg.register({
    name: 'ranker',
    featureService: 'ranker_v1',
    trainingData,
    params: rankerManifestParams(r1Params, 1, 'listwise'),
    artifacts: [{ path: 'params.json', data: enc.encode(serializeParams(r1Params)) }],
  });
  await reg.promote('ranker', r1.version, { featureServiceExists: exists });
  // A second version stays a candidate: shadow mode scores it beside production.
  await reg.register({
    name: 'ranker',
    featureService: 'ranker_v1',
    trainingData,
    params: rankerManifestParams(r2Params, 1, 'listwise'),
    artifacts: [{ path: 'params.json', data: enc.encode(serializeParams(r2Params)) }],
  });
}

beforeAll(async () => {
  await registerTinyModels(path.join(dir, 'models'));
  rec = await startRecommender({
    modelRegistry: path.join(dir, 'models'),
    indexDir: path.join(dir, 'ann'),
    shadowSampleRate: 1,
    itemFeatures: 'snapshot',
    budgets: TEST_BUDGETS,
    featureLog: { dir: path.join(dir, 'feature-log'), sampleRate: 1 },
    impressionLog: { dir: path.join(dir, 'impressions') },
  });
}, 120_000);

afterAll(async () => {
  await rec?.close();
  if (online) {
    await online.store.teardown().catch(() => undefined);
    await online.close();
    // Teardown can time out on a loaded shared Redis: sweep this run's prefix as well.
    const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    for await (const keys of redis.scanStream({ match: `${keyPrefix}*`, count: 1000 }) as AsyncIterable<string[]>)
      if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('StreamRec serving', () => {
  it('loads the registered production models and answers POST /recommendations', async () => {
    expect(rec.models.twoTower?.version).toBe('two_tower@1');
    expect(rec.models.ranker?.version).toBe('ranker@1');
    // The two-tower's HNSW index was built once and saved as a checksummed version for this model,
    // with the popularity prior as a ninth column next to the 8-d embeddings (ADR 0077).
    const manifest = JSON.parse(readFileSync(path.join(dir, 'ann', 'v0001', 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ kind: 'hnsw', count: snap.movies.length, dim: 9, metadata: { model: 'two_tower@1', dim: '9' } });
    expect(rec.models.twoTower?.itemBias).toHaveLength(snap.movies.length);
    expect(rec.models.twoTower?.coOccurrence).toEqual({ weight: 0.5, window: 10, neighbours: 400 });
    expect(Math.max(...rec.models.twoTower!.itemBias!)).toBeGreaterThan(0);
    const res = await recommend(rec.url, { userId: 42, count: 20, context: { device: 'tv', timeMs: Date.UTC(2018, 8, 1, 20) } });
    expect(res).toMatchObject({ userId: 42, degradationLevel: 'FULL', modelVersions: { ranker: 'ranker@1', two_tower: 'two_tower@1' } });
    expect(res.items).toHaveLength(20);
    const seen = new Set(snap.histories.get(42)!.items);
    for (const i of res.items) {
      expect(rec.catalog.has(i.itemId)).toBe(true);
      expect(seen.has(i.itemId as number)).toBe(false);
      expect(Number.isFinite(i.score)).toBe(true);
    }
    const sources = new Set(res.items.flatMap((i) => i.sources));
    expect(sources.size).toBeGreaterThanOrEqual(2);
    // The SDK call in process gives the same answer as HTTP, except the last 2 slots, which the
    // long-tail exposure rule gives to items not yet shown this week (the first answer's are now shown).
    const local = await recommend(rec, { userId: 42, count: 20, context: { device: 'tv', timeMs: Date.UTC(2018, 8, 1, 20) } });
    expect(local.items.slice(0, 18).map((i) => i.itemId)).toEqual(res.items.slice(0, 18).map((i) => i.itemId));
  });

  it('adds the weighted co-occurrence with the recent items to the retrieval score the ranker and the blend see', async () => {
    // A ranker that keeps the batch's last column (the retrieval score) and ranks by it.
    const recorder = (): Ranker & { columns: Float32Array[]; batches: Float32Array[] } => {
      const columns: Float32Array[] = [];
      const batches: Float32Array[] = [];
      return {
        kind: 'recorder',
        version: 'recorder',
        columns,
        batches,
        async score(batch) {
          const x = batch.inputs.features!;
          const d = x.dims[1]!;
          const col = Float32Array.from({ length: batch.size }, (_, i) => x.data[i * d + d - 1]!);
          columns.push(col);
          batches.push(Float32Array.from(x.data));
          return col;
        },
        async close() {},
      };
    };
    const tt = rec.models.twoTower!;
    const start = (weight: number, ranker: Ranker) =>
      startRecommender({
        models: { ...rec.models, twoTower: { ...tt, coOccurrence: { ...tt.coOccurrence!, weight } } },
        ranker,
        itemFeatures: 'snapshot',
        indexDir: path.join(dir, 'ann'),
        budgets: TEST_BUDGETS,
      });
    const [withCo, without] = [recorder(), recorder()];
    const a = await start(0.5, withCo);
    const b = await start(0, without);
    try {
      const ctx = { timeMs: Date.UTC(2018, 8, 1, 20) };
      await recommend(a, { userId: 42, count: 20, context: ctx });
      await recommend(b, { userId: 42, count: 20, context: ctx });
    } finally {
      await a.close();
      await b.close();
    }
    // Same candidates in the same order; the columns differ by 0.5 x the co-occurrence score.
    const [ca, cb] = [withCo.columns[0]!, without.columns[0]!];
    expect(ca.length).toBe(cb.length);
    const diff = Array.from(ca, (v, i) => (v - cb[i]!) / 0.5);
    for (const v of diff) expect(v).toBeGreaterThan(-1e-5);
    // The co-occurrence source is in the pool, so the best co-occurring item is a candidate (seen
    // items are filtered after ranking, so they are in the batch too).
    const h = snap.histories.get(42)!.items;
    const table = CoOccurrenceSource.fromHistories(
      [...snap.histories.values()].map((x) => x.items),
      { window: 10, neighbours: 400 },
    );
    const best = Math.max(
      ...table.scoreItems(
        h.slice(-10),
        snap.movies.map((m) => m.id),
      ),
    );
    expect(best).toBeGreaterThan(0);
    expect(Math.max(...diff)).toBeCloseTo(best, 4);
    // The ranker's request signals (issue 21) in serving's batch: the raw co-occurrence column is
    // log1p of what the weight multiplies, at any weight; decayed popularity is there for popular candidates.
    const d = RANKER_FEATURE_NAMES.length;
    const col = (name: string, batch: Float32Array): number[] =>
      Array.from({ length: ca.length }, (_, i) => batch[i * d + RANKER_FEATURE_NAMES.indexOf(name)]!);
    for (const batch of [withCo.batches[0]!, without.batches[0]!])
      col('log_co_occurrence', batch).forEach((v, i) => expect(v).toBeCloseTo(Math.log1p(Math.max(0, diff[i]!)), 3));
    expect(Math.max(...col('log_pop_decay_long', withCo.batches[0]!))).toBeGreaterThan(0);
    expect(Math.max(...col('log_item_age_days', withCo.batches[0]!))).toBeGreaterThan(0);
  });

  it('refuses a corrupted model artifact by its checksum: serving starts without it (no earlier good version) and says why', async () => {
    const copy = path.join(dir, 'models-corrupt');
    cpSync(path.join(dir, 'models'), copy, { recursive: true });
    const artifactsDir = path.join(copy, 'ranker', '1', 'artifacts');
    expect(readdirSync(artifactsDir)).toContain('params.json');
    writeFileSync(path.join(artifactsDir, 'params.json'), '{"kind":"dcn-v2"}');
    const loaded = await loadProductionModels({ registry: copy });
    expect(loaded.ranker).toBeUndefined();
    expect(loaded.twoTower?.version).toBe('two_tower@1');
    expect(loaded.notes).toHaveLength(1);
    expect(loaded.notes).toContainEqual(
      expect.stringMatching(
        /^no production version of 'ranker' passes its checksums \(v1: Artifact 'params\.json' of ranker v1 does not match its sha256 checksum\..*\): serving without it$/,
      ),
    );
  });

  it('cold users get the Bayesian cold-start model; metrics show stages, levels, sources and shadow comparisons', async () => {
    const cold = await recommend(rec.url, { userId: 999_999, count: 10 });
    expect(cold.modelVersions.ranker).toBe('cold-start-blr');
    expect(cold.items).toHaveLength(10);
    await rec.shadow!.drain();
    const stats = rec.shadow!.snapshot();
    expect(stats.version).toBe('ranker@2');
    expect(stats.requests).toBeGreaterThan(0);
    const text = await (await fetch(`${rec.url}/metrics`)).text();
    for (const stage of ['features', 'retrieval', 'ranking', 'rerank', 'total']) expect(text).toContain(`stage="${stage}"`);
    expect(text).toMatch(/frec_recommend_responses_total\{level="FULL"\} \d+/);
    expect(text).toContain('frec_recommend_candidates_total{source="two_tower"}');
    expect(text).toContain('frec_recommend_shadow_requests_total{version="ranker@2"}');
  });

  it("logs the user features it read and the lists it served (Parquet), and exports each served model's age", async () => {
    // A day no other test serves on, so its impression partition holds only these lists.
    for (const userId of [1, 42, 414]) await recommend(rec.url, { userId, count: 10, context: { timeMs: Date.UTC(2018, 8, 3, 20) } });
    await rec.featureLog!.flush();
    await rec.impressionLog!.flush();
    const features = await queryParquet(
      `SELECT feature, count(*) AS n FROM read_parquet(${sqlLiteral(path.join(dir, 'feature-log/*/*.parquet'))}) WHERE entity_key = 'user_id=42' GROUP BY ALL`,
    );
    expect(features.map((f) => f.feature).sort()).toEqual([
      'user_recent:last_10_items',
      'user_recent:session_duration',
      'user_recent:session_length',
      'user_stats:days_active',
      'user_stats:genre_affinity',
      'user_stats:mean_rating',
      'user_stats:n_ratings',
    ]);
    const served = await queryParquet(
      `SELECT user_id, count(*) AS n, min(model_version) AS model, min(served_at) AS at FROM read_parquet(${sqlLiteral(path.join(dir, 'impressions/date=2018-09-03/*.parquet'))}) GROUP BY ALL ORDER BY user_id`,
    );
    expect(served.map((r) => [r.user_id, Number(r.n), r.model])).toEqual([
      ['1', 10, 'ranker@1'],
      ['414', 10, 'ranker@1'],
      ['42', 10, 'ranker@1'],
    ]);
    const text = await (await fetch(`${rec.url}/metrics`)).text();
    const age = Number(/^frec_model_age_seconds\{model="ranker"\} (\S+)$/m.exec(text)![1]);
    expect(Math.abs(age - (Date.now() - Date.parse('2018-01-01T00:00:00Z')) / 1000)).toBeLessThan(120);
    expect(text).toMatch(/^frec_model_age_seconds\{model="two_tower"\} \d+/m);
  });

  it('serves the same answer with user features read from Redis through getOnlineFeatures', async () => {
    online = await onlineUserFeatures({
      type: 'redis',
      connection_string: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      key_prefix: keyPrefix,
      connect_timeout_ms: 1000,
      command_timeout_ms: 500,
    } as never);
    expect(await online.seed(snap)).toBe(snap.histories.size * 2);
    const viaRedis = await startRecommender({
      models: rec.models,
      features: online.source,
      itemFeatures: 'snapshot',
      indexDir: path.join(dir, 'ann'),
      budgets: TEST_BUDGETS,
    });
    try {
      const ctx = { timeMs: Date.UTC(2018, 8, 1, 20) };
      const a = await recommend(viaRedis, { userId: 7, count: 20, context: ctx });
      const b = await recommend(rec, { userId: 7, count: 20, context: ctx });
      expect(a.degradationLevel).toBe('FULL');
      expect(a.items.slice(0, 18).map((i) => i.itemId)).toEqual(b.items.slice(0, 18).map((i) => i.itemId));
      // The second start reused the saved index instead of building another.
      expect(readdirSync(path.join(dir, 'ann')).filter((f) => !f.startsWith('.'))).toEqual(['v0001']);
    } finally {
      await viaRedis.close();
    }
  });

  it('ranks on a KServe v2 (Triton-protocol) server with the exported DCN-V2, same answer as in process', async () => {
    const reg = new ModelRegistry(new LocalModelStore(path.join(dir, 'models')));
    const m = await reg.describe('ranker', 'production');
    const params = deserializeParams<DcnParams>(Buffer.from(await reg.readArtifact(m, 'params.json')).toString('utf8'));
    const server = await startKServeServer({
      model: 'streamrec_ranker',
      onnx: exportRankerOnnx(params),
      inputName: 'features',
      outputName: 'probability',
      dim: params.d,
    });
    const viaTriton = await startRecommender({
      models: rec.models,
      ranker: new TritonRanker({ url: server.url, model: 'streamrec_ranker', outputName: 'probability' }),
      itemFeatures: 'snapshot',
      indexDir: path.join(dir, 'ann'),
      budgets: TEST_BUDGETS,
    });
    try {
      const ctx = { timeMs: Date.UTC(2018, 8, 1, 20) };
      const a = await recommend(viaTriton, { userId: 11, count: 20, context: ctx });
      const b = await recommend(rec, { userId: 11, count: 20, context: ctx });
      expect(a).toMatchObject({ degradationLevel: 'FULL', modelVersions: { ranker: 'streamrec_ranker@latest' } });
      expect(server.seen.at(-1)).toMatchObject({ binary: true });
      expect(a.items.slice(0, 18).map((i) => i.itemId)).toEqual(b.items.slice(0, 18).map((i) => i.itemId));
      a.items.slice(0, 18).forEach((item, i) => expect(item.score).toBeCloseTo(b.items[i]!.score, 4));
    } finally {
      await viaTriton.close();
      await server.close();
    }
  });
});
