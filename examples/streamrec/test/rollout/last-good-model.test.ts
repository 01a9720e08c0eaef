import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalModelStore, ModelRegistry } from '@frec/model-registry';
import { createRecommendServer } from '../../src/recommender/server/recommend-server.js';
import { RecommendMetrics } from '../../src/recommender/recommend-metrics.js';
import { registrySync, reloadProductionRanker } from '../../src/rollout/index.js';
import { loadProductionModels, loadRanker } from '../../src/serve/load-models.js';
import { tinyRankerOnnx } from '../../../../packages/model-serving/test/helpers/tiny-onnx.js';
import { CANDIDATE_WEIGHTS, PROD_WEIGHTS, rolloutWorld, RANKER_PARAMS } from './rollout-fixture.js';

const root = mkdtempSync(path.join(tmpdir(), 'streamrec-last-good-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const exists = async () => true;
const day = (d: number) => new Date(Date.UTC(2026, 0, d)).toISOString();
const w = rolloutWorld(51);

describe('last good model', () => {
  it('serving keeps the last good production ranker through corrupt, unloadable and refused versions, and exports its age', async () => {
    const dir = path.join(root, 'models');
    const reg = new ModelRegistry(new LocalModelStore(dir));
    const register = (weights: number[], end: number, data?: Uint8Array) =>
      reg.register({
        name: 'ranker',
        featureService: 'ranker_v1',
        params: RANKER_PARAMS,
        trainingData: { start: day(1), end: day(end) },
        artifacts: [{ path: 'model.onnx', data: data ?? tinyRankerOnnx(weights, 0.1) }],
      });
    await register(PROD_WEIGHTS, 10);
    await reg.promote('ranker', 1, { featureServiceExists: exists });
    await register(CANDIDATE_WEIGHTS, 11);
    await reg.promote('ranker', 2, { featureServiceExists: exists });
    // v2's artifact is damaged on disk after promotion: startup serves v1, the previous production version.
    writeFileSync(path.join(dir, 'ranker/2/artifacts/model.onnx'), 'damaged');
    const loaded = await loadProductionModels({ registry: dir });
    expect(loaded.ranker?.version).toBe('ranker@1');
    expect(loaded.notes).toContainEqual(
      expect.stringMatching(/^ranker v2 skipped: Artifact 'model.onnx' of ranker v2 does not match its sha256/),
    );
    expect(loaded.manifests?.ranker?.version).toBe(1);

    const metrics = new RecommendMetrics();
    metrics.now = () => Date.parse(day(10)) + 3600_000;
    metrics.setServedModel('ranker', 'ranker@1', Date.parse(loaded.manifests!.ranker!.trainingData.end));
    const rec = w.recommender(loaded.ranker!, { metrics });
    const app = createRecommendServer({ recommender: rec });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const ask = async () =>
      (await (
        await fetch(`${url}/recommendations`, {
          method: 'POST',
          body: JSON.stringify({ userId: 3 }),
          headers: { 'content-type': 'application/json' },
        })
      ).json()) as { modelVersions: Record<string, string>; degradationLevel: string; items: unknown[] };
    try {
      expect(await ask()).toMatchObject({ modelVersions: { ranker: 'ranker@1' }, degradationLevel: 'FULL' });
      expect(await (await fetch(`${url}/metrics`)).text()).toContain('frec_model_age_seconds{model="ranker"} 3600');
      const lines: string[] = [];
      const reload = (current: number) =>
        reloadProductionRanker({ registry: reg, recommender: rec, metrics, current, load: loadRanker, log: (l) => lines.push(l) });

      // Nothing better than v1 verifies: unchanged.
      expect(await reload(1)).toEqual({ kind: 'unchanged', version: 1 });
      // A refused candidate never serves.
      await register(CANDIDATE_WEIGHTS, 12);
      await reg.refuse('ranker', 3, 'shadow gate refused: finite_scores');
      expect(await reload(1)).toEqual({ kind: 'unchanged', version: 1 });
      // A new production version is swapped in, and the age follows it.
      await register(CANDIDATE_WEIGHTS, 13);
      await reg.promote('ranker', 4, { featureServiceExists: exists });
      expect(await reload(1)).toEqual({ kind: 'swapped', from: 1, version: 4 });
      expect((await ask()).modelVersions.ranker).toBe('ranker@4');
      metrics.now = () => Date.parse(day(16));
      expect(await (await fetch(`${url}/metrics`)).text()).toContain(`frec_model_age_seconds{model="ranker"} ${3 * 86400}`);
      // Promoted with a checksum-valid artifact that is not a model: loading fails, v4 keeps serving.
      await register([], 14, new Uint8Array([1, 2, 3, 4]));
      await reg.promote('ranker', 5, { featureServiceExists: exists });
      const kept = await reload(4);
      expect(kept).toMatchObject({ kind: 'kept', version: 4, reason: expect.stringMatching(/^ranker v5 could not be loaded: /) });
      expect(await ask()).toMatchObject({ modelVersions: { ranker: 'ranker@4' }, degradationLevel: 'FULL' });
      expect(lines.at(-1)).toMatch(/^model reload: keeping ranker v4: ranker v5 could not be loaded/);
    } finally {
      await app.close();
    }
  });

  it('with no production version that verifies, serving starts without the model (a lower level) instead of failing', async () => {
    const dir = path.join(root, 'models-broken');
    const reg = new ModelRegistry(new LocalModelStore(dir));
    await reg.register({
      name: 'ranker',
      featureService: 'ranker_v1',
      params: RANKER_PARAMS,
      trainingData: { start: day(1), end: day(2) },
      artifacts: [{ path: 'model.onnx', data: tinyRankerOnnx(PROD_WEIGHTS, 0.1) }],
    });
    await reg.promote('ranker', 1, { featureServiceExists: exists });
    writeFileSync(path.join(dir, 'ranker/1/artifacts/model.onnx'), 'damaged');
    const loaded = await loadProductionModels({ registry: dir });
    expect(loaded.ranker).toBeUndefined();
    expect(loaded.notes).toContainEqual(
      expect.stringMatching(/^no production version of 'ranker' passes its checksums \(v1: .*sha256.*\): serving without it$/),
    );
  });

  it("registrySync: a serving process starts the canary the daily job's gate passed, and follows production", async () => {
    const dir = path.join(root, 'models-sync');
    const reg = new ModelRegistry(new LocalModelStore(dir));
    const register = () =>
      reg.register({
        name: 'ranker',
        featureService: 'ranker_v1',
        params: RANKER_PARAMS,
        trainingData: { start: day(1), end: day(3) },
        artifacts: [{ path: 'model.onnx', data: tinyRankerOnnx(CANDIDATE_WEIGHTS, 0.1) }],
      });
    await register();
    await reg.promote('ranker', 1, { featureServiceExists: exists });
    const loaded = await loadProductionModels({ registry: dir });
    const metrics = new RecommendMetrics();
    const rec = w.recommender(loaded.ranker!, { metrics });
    const lines: string[] = [];
    const s = registrySync({
      registry: reg,
      recommender: rec,
      metrics,
      load: loadRanker,
      featureServiceExists: exists,
      current: 1,
      log: (l) => lines.push(l),
    });
    expect(await s.sync()).toEqual({ production: { kind: 'unchanged', version: 1 }, canary: { kind: 'none' } });
    // The job gated v2 (passed, canary noted) and refused v3.
    await register();
    await reg.note('ranker', 2, 'canary', 'shadow gate passed 9 checks on 50 requests; canary starts');
    await register();
    await reg.refuse('ranker', 3, 'shadow gate refused: finite_scores');
    const started = await s.sync();
    expect(started.canary).toEqual({ kind: 'started', version: 2 });
    expect(rec.canary?.ranker.version).toBe('ranker@2');
    expect(lines).toContain('canary ranker@2: started at 5% of users');
    expect((await s.sync()).canary).toEqual({ kind: 'running' });
    rec.stopCanary();
    // Promoted by hand meanwhile: the next sync serves it and no canary waits.
    await reg.promote('ranker', 2, { featureServiceExists: exists });
    expect(await s.sync()).toEqual({ production: { kind: 'swapped', from: 1, version: 2 }, canary: { kind: 'none' } });
    expect(rec.productionRanker.version).toBe('ranker@2');
  });
});
