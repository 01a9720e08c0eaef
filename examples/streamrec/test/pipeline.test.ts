import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openModelRegistry } from '@frec/model-registry';
import { runPipeline, type PipelineResult } from '../src/pipeline/run-pipeline.js';
import { ASK_BEFORE_MS } from '../src/eval/protocols.js';
import { tempFeatureRepo } from './fixtures.js';
import { allTimePopularity } from '../src/baselines/popularity.js';
import {
  buildCoOccurrence,
  DEFAULT_CO_OCCURRENCE,
  POPULARITY_WEIGHT_GRID,
  popularityPrior,
  RECENT_DECAY_GRID,
  RECENT_WEIGHT_GRID,
  retrievalBias,
} from '../src/retrieval/index.js';
import { CO_OCCURRENCE_WEIGHT_GRID } from '../src/retrieval/index.js';
import { parseRankerManifestParams, parseTwoTowerManifestParams } from '../src/models/manifest-params.js';

const VENDORED = fileURLToPath(new URL('../data/ml-latest-small', import.meta.url));

describe('training pipeline on a seeded 40-user subset of MovieLens', () => {
  let repo: string;
  let res: PipelineResult;

  beforeAll(async () => {
    repo = tempFeatureRepo();
    res = await runPipeline({
      repoPath: repo,
      inputDir: VENDORED,
      maxUsers: 40,
      seed: 42,
      quiet: true,
      steps: {
        baselines: { bpr: { epochs: 5 } },
        trainRetrieval: { tower: { epochs: 2 } },
        trainRanker: { dcn: { epochs: 1 } },
        rankerSet: { positives: 1500, candidates: { twoTower: 50, trending: 20, popular: 20 } },
      },
    });
  }, 300_000);
  afterAll(() => {
    if (repo) rmSync(repo, { recursive: true, force: true });
  });

  it('evaluates every model under both protocols with full-ranking metrics', () => {
    const models = [
      'popularity_all_time',
      'popularity_recent_30d',
      'bpr_mf',
      'popularity_recent',
      'ease',
      'item_knn',
      'pure_svd',
      'two_tower',
      'two_tower+dcn_v2',
    ];
    for (const protocol of ['global_time', 'per_user_temporal'] as const) {
      const rows = res.results.filter((r) => r.protocol === protocol);
      expect(rows.map((r) => r.model)).toEqual(models);
      for (const r of rows) {
        expect(r.users).toBeGreaterThan(0);
        for (const v of [r.recall20, r.ndcg20, r.recall500 ?? 0]) {
          expect(v).toBeGreaterThanOrEqual(0);
          expect(v).toBeLessThanOrEqual(1);
        }
      }
      expect(rows.find((r) => r.model === 'two_tower')!.recall500).toBeDefined();
    }
    expect(res.results.find((r) => r.protocol === 'per_user_temporal')!.users).toBe(40);
    // The learned retriever must beat "what is trending" by a wide margin, even on 40 users.
    const pu = (m: string): number => res.results.find((r) => r.protocol === 'per_user_temporal' && r.model === m)!.ndcg20;
    expect(pu('two_tower')).toBeGreaterThan(pu('popularity_recent_30d'));
    expect(res.table).toContain('Recall@500');
  });

  it('records wall time and peak memory for every step', () => {
    const steps = res.timings.map((t) => t.step);
    for (const s of [
      'load',
      'features',
      'apply',
      'global_time:train-two-tower',
      'global_time:tune-history-query',
      'per_user_temporal:train-ranker',
      'per_user_temporal:refit-two-tower',
      'export',
      'register',
    ])
      expect(steps).toContain(s);
    for (const t of res.timings) expect(t.peakRssMiB).toBeGreaterThan(0);
    // Both protocols' tuned and refit ensembles, two members each, trained on worker threads.
    expect(res.workerTimings.map((t) => t.step).sort()).toEqual(
      ['global_time', 'per_user_temporal']
        .flatMap((p) => ['refit-two-tower', 'train-two-tower'].flatMap((w) => [1, 2].map((k) => `${p}:${w} member ${k}`)))
        .sort(),
    );
    for (const t of res.workerTimings) expect(t.seconds).toBeGreaterThan(0);
  });

  it('registers both models with feature service, training range, metrics and verified checksums', async () => {
    const reg = openModelRegistry(path.join(repo, 'data', 'models'));
    const tower = await reg.describe('two_tower');
    const ranker = await reg.describe('ranker');
    expect(tower.featureService).toBe('two_tower_v1');
    expect(ranker.featureService).toBe('ranker_v1');
    expect(tower.stage).toBe('candidate');
    const cutoff = res.global!.split.evalTimeMs.values().next().value! + ASK_BEFORE_MS;
    expect(Date.parse(tower.trainingData.end)).toBeLessThan(cutoff);
    expect(tower.metrics['per_user_temporal/recall500']).toBeGreaterThan(0);
    expect(ranker.evaluation).toHaveLength(res.results.length);
    expect(ranker.artifacts.map((a) => a.path)).toEqual(expect.arrayContaining(['params.json', 'model.onnx']));
    expect(tower.artifacts.map((a) => a.path)).toEqual(expect.arrayContaining(['params.json', 'item_embeddings.f32', 'user_tower.onnx']));
    await reg.verify(tower);
    await reg.verify(ranker);
    // Both params parse with the schemas serving loads them with; the ranker trained listwise at the tuned blend.
    expect(parseTwoTowerManifestParams(tower)).toEqual(tower.params);
    expect(parseRankerManifestParams(ranker)).toEqual({
      crossLayers: res.global!.ranker.config.crossLayers,
      hidden: res.global!.ranker.config.hidden,
      d: res.global!.ranker.d,
      blendWeight: res.global!.blendWeight,
      loss: 'listwise',
    });
    // The retriever is an ensemble of two towers (seeds 42 and 142) whose embeddings are concatenated.
    expect(tower.params).toMatchObject({ members: 2, outputDim: 64 });
    expect(res.global!.tower.members.map((m) => m.config.seed)).toEqual([42, 142]);
    const embeddings = new Float32Array(new Uint8Array(await reg.readArtifact(tower, 'item_embeddings.f32')).buffer);
    expect(embeddings.length).toBe(res.data.itemIds.length * 64);
    // The query's recent-items weight is tuned on validation and travels to serving with the model.
    expect(RECENT_WEIGHT_GRID).toContain(tower.params?.recentWeight);
    expect(RECENT_DECAY_GRID).toContain(tower.params?.recentDecay);
    expect({ weight: tower.params?.recentWeight, decay: tower.params?.recentDecay }).toEqual(res.global!.history);
    // So is the popularity prior's weight; its bias is the served tower's training counts at that weight (ADR 0077).
    const g = res.global!;
    expect(POPULARITY_WEIGHT_GRID).toContain(tower.params?.popularityWeight);
    expect(tower.params?.popularityWeight).toBe(g.popularityWeight);
    if (g.popularityWeight > 0) {
      const bias = new Float32Array(new Uint8Array(await reg.readArtifact(tower, 'item_bias.f32')).buffer);
      const want = retrievalBias(
        popularityPrior(allTimePopularity(res.data, g.split.train), g.tower.members[0]!.config.temperature),
        g.popularityWeight,
      );
      expect(Array.from(bias)).toEqual(Array.from(want));
    } else {
      expect(tower.artifacts.map((a) => a.path)).not.toContain('item_bias.f32');
    }
    // And the co-occurrence term (ADR 0078): its weight from the grid, its table from every training event of the split.
    expect(CO_OCCURRENCE_WEIGHT_GRID).toContain(tower.params?.coOccurrenceWeight);
    expect(tower.params).toMatchObject({
      coOccurrenceWeight: g.coOccurrence!.weight,
      coOccurrenceWindow: DEFAULT_CO_OCCURRENCE.window,
      coOccurrenceNeighbours: DEFAULT_CO_OCCURRENCE.neighbours,
    });
    const table = buildCoOccurrence(res.data.user, res.data.item, g.split.train, res.data.itemIds.length, DEFAULT_CO_OCCURRENCE);
    expect(g.coOccurrence!.table).toEqual(table);
    expect(table.nbr.length).toBeGreaterThan(0);
  });
});

describe('choosing the protocols', () => {
  const base = { inputDir: VENDORED, maxUsers: 40, seed: 7, quiet: true };

  it('refuses unknown protocols, registering without the global split, a bad ensemble size or thread count, before any work', async () => {
    const repo = tempFeatureRepo();
    try {
      await expect(runPipeline({ ...base, repoPath: repo, protocols: ['weekly' as never] })).rejects.toMatchObject({
        code: 'INVALID_REQUEST',
        message: expect.stringContaining('"weekly"'),
      });
      await expect(runPipeline({ ...base, repoPath: repo, protocols: [] })).rejects.toMatchObject({
        code: 'INVALID_REQUEST',
        message: expect.stringContaining('No evaluation protocol chosen'),
      });
      await expect(runPipeline({ ...base, repoPath: repo, protocols: ['per_user_temporal'] })).rejects.toThrow(
        /needs the global_time protocol/,
      );
      await expect(runPipeline({ ...base, repoPath: repo, steps: { trainRetrieval: { members: 0 } } })).rejects.toMatchObject({
        code: 'INVALID_REQUEST',
        message: expect.stringContaining('steps.trainRetrieval.members is 0; it must be a whole number of at least 1'),
      });
      await expect(runPipeline({ ...base, repoPath: repo, trainThreads: 1.5 })).rejects.toMatchObject({
        code: 'INVALID_REQUEST',
        message: expect.stringContaining('trainThreads is 1.5'),
      });
      // Nothing was loaded: the checks come first.
      expect(existsSync(path.join(repo, 'data', 'interactions.parquet'))).toBe(false);
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  });

  it('runs only the protocols asked for', async () => {
    const repo = tempFeatureRepo();
    try {
      const res = await runPipeline({
        ...base,
        repoPath: repo,
        protocols: ['per_user_temporal'],
        register: false,
        steps: {
          baselines: { bpr: { epochs: 2 }, classical: false },
          trainRetrieval: { tower: { epochs: 1 } },
          trainRanker: { dcn: { epochs: 1 } },
          rankerSet: { positives: 800, candidates: { twoTower: 30, trending: 10, popular: 10 } },
        },
      });
      expect(new Set(res.results.map((r) => r.protocol))).toEqual(new Set(['per_user_temporal']));
      expect(res.global).toBeUndefined();
      expect(res.models).toEqual([]);
      expect(res.timings.some((t) => t.step.startsWith('global_time:'))).toBe(false);
      // classical: false leaves the tuned classical baselines out.
      expect(res.results.map((r) => r.model)).not.toContain('ease');
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  }, 300_000);
});
