import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Counter, Histogram, Registry } from 'prom-client';
import { openModelRegistry } from '@frec/model-registry';
import { listModels } from '../src/api/models.js';
import { MetricsSampler, registrySource, summarizeServing } from '../src/index.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'frec-ui-models-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('shadow scoring on the models page', () => {
  it("joins the recommender's shadow metrics to the model version they name", async () => {
    const reg = new Registry();
    const requests = new Counter({ name: 'frec_recommend_shadow_requests_total', help: 'h', labelNames: ['version'], registers: [reg] });
    const errors = new Counter({ name: 'frec_recommend_shadow_errors_total', help: 'h', labelNames: ['version'], registers: [reg] });
    const overlap = new Histogram({
      name: 'frec_recommend_shadow_rank_overlap',
      help: 'h',
      labelNames: ['version'],
      buckets: [0.5, 1],
      registers: [reg],
    });
    requests.inc({ version: 'ranker@2' }, 4);
    errors.inc({ version: 'ranker@2' }, 1);
    for (const v of [0.5, 0.7, 0.9]) overlap.observe({ version: 'ranker@2' }, v);
    const shadow = summarizeServing(await new MetricsSampler([registrySource('recommender', reg)]).sample()).shadow;
    expect(shadow).toEqual([
      {
        source: 'recommender',
        version: 'ranker@2',
        requests: 4,
        errors: 1,
        nonFinite: 0,
        meanRankOverlap: expect.closeTo(0.7, 12),
        meanScoreDiff: null,
      },
    ]);

    const models = openModelRegistry(dir);
    const trainingData = { start: '2026-01-01T00:00:00Z', end: '2026-02-01T00:00:00Z' };
    const artifacts = [{ path: 'w.json', data: new TextEncoder().encode('[1]') }];
    const v1 = await models.register({
      name: 'ranker',
      featureService: 'ranker_v1',
      trainingData,
      artifacts,
      params: { lr: 0.01, big: 'x'.repeat(500) },
    });
    await models.promote('ranker', v1.version, { featureServiceExists: async () => true });
    await models.register({ name: 'ranker', featureService: 'ranker_v1', trainingData, artifacts });
    const [m] = await listModels(models, shadow);
    expect(m!.production).toBe(1);
    expect(m!.versions.map((v) => [v.version, v.stage, v.shadow?.requests ?? null])).toEqual([
      [1, 'production', null],
      [2, 'candidate', 4],
    ]);
    expect(m!.versions[0]!.params).toEqual({ lr: 0.01 });
    expect(m!.versions[0]!.stageHistory.map((h) => h.stage)).toEqual(['candidate', 'production']);
  });
});
