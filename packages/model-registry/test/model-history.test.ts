import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalModelStore, ModelRegistry } from '../src/index.js';

const root = mkdtempSync(path.join(tmpdir(), 'frec-model-history-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const trainingData = { start: '2026-01-01T00:00:00.000Z', end: '2026-02-01T00:00:00.000Z' };
const exists = async () => true;

function registry(name: string): ModelRegistry {
  return new ModelRegistry(new LocalModelStore(path.join(root, name)));
}
const register = (reg: ModelRegistry, byte: number) =>
  reg.register({
    name: 'ranker',
    featureService: 'ranker_v1',
    trainingData,
    artifacts: [{ path: 'model.onnx', data: new Uint8Array([byte]) }],
  });

describe('model registry history: promotions, refusals and rollbacks with time and reason', () => {
  it('records each event with its reason; history lists them oldest first across versions', async () => {
    const reg = registry('history');
    await register(reg, 1);
    await reg.promote('ranker', 1, { featureServiceExists: exists, reason: 'first model' });
    await register(reg, 2);
    await reg.refuse('ranker', 2, 'shadow gate refused: finite_scores: 3 of 10 requests broke it');
    await register(reg, 3);
    await reg.note('ranker', 3, 'canary', 'step 2/3: 25% of users');
    await reg.promote('ranker', 3, { featureServiceExists: exists, reason: 'canary promoted' });
    const h = await reg.history('ranker');
    expect(h.map((e) => [e.version, e.stage, e.event])).toEqual([
      [1, 'candidate', 'registered'],
      [1, 'production', 'promoted'],
      [2, 'candidate', 'registered'],
      [2, 'rejected', 'refused'],
      [3, 'candidate', 'registered'],
      [3, 'candidate', 'canary'],
      [1, 'archived', 'archived'],
      [3, 'production', 'promoted'],
    ]);
    expect(h.find((e) => e.version === 2 && e.event === 'refused')!.reason).toContain('finite_scores');
    expect(h.find((e) => e.version === 1 && e.event === 'archived')!.reason).toBe('replaced by v3');
    expect(h.every((e) => !Number.isNaN(Date.parse(e.at)))).toBe(true);
    expect((await reg.describe('ranker', 2)).stage).toBe('rejected');
    // A rejected version is never the newest candidate again.
    await expect(reg.describe('ranker', 'candidate')).rejects.toThrow(/no version candidate/);
    await expect(reg.promote('ranker', 2, { featureServiceExists: exists })).rejects.toMatchObject({
      code: 'MODEL_REGISTRY_ERROR',
      message: expect.stringContaining('Cannot promote ranker v2: it was rejected (shadow gate refused: finite_scores'),
    });
    await expect(reg.refuse('ranker', 3, 'x')).rejects.toMatchObject({
      code: 'MODEL_REGISTRY_ERROR',
      message: expect.stringContaining('production'),
    });
  });

  it('rollback of production restores the previous production version; of a candidate, only rejects it', async () => {
    const reg = registry('rollback');
    await register(reg, 1);
    await reg.promote('ranker', 1, { featureServiceExists: exists });
    await register(reg, 2);
    await reg.promote('ranker', 2, { featureServiceExists: exists });
    const { rejected, restored } = await reg.rollback('ranker', 2, 'canary rollback: p95 300 ms over the 150 ms budget');
    expect(rejected).toMatchObject({ version: 2, stage: 'rejected' });
    expect(restored).toMatchObject({ version: 1, stage: 'production' });
    expect(restored!.stageHistory.at(-1)).toMatchObject({
      event: 'restored',
      reason: expect.stringContaining('rollback of v2: canary rollback: p95'),
    });
    expect((await reg.describe('ranker', 'production')).version).toBe(1);
    await register(reg, 3);
    const r3 = await reg.rollback('ranker', 3, 'canary rollback: error rate 100%');
    expect(r3.restored).toBeUndefined();
    expect((await reg.describe('ranker', 'production')).version).toBe(1);
  });

  it('lastGood serves production, or the newest earlier production version when production is corrupt; never a candidate', async () => {
    const reg = registry('last-good');
    expect(await reg.lastGood('ranker')).toBeUndefined();
    await register(reg, 1);
    // Never promoted: nothing is "good" yet.
    expect(await reg.lastGood('ranker')).toBeUndefined();
    await reg.promote('ranker', 1, { featureServiceExists: exists });
    await register(reg, 2);
    await reg.promote('ranker', 2, { featureServiceExists: exists });
    await register(reg, 3);
    expect((await reg.lastGood('ranker'))!.manifest.version).toBe(2);
    writeFileSync(path.join(root, 'last-good/ranker/2/artifacts/model.onnx'), 'corrupt');
    const good = await reg.lastGood('ranker');
    expect(good!.manifest.version).toBe(1);
    expect(good!.skipped).toEqual([{ version: 2, reason: expect.stringContaining('does not match its sha256') }]);
    writeFileSync(path.join(root, 'last-good/ranker/1/artifacts/model.onnx'), 'corrupt');
    expect(await reg.lastGood('ranker')).toBeUndefined();
  });

  it('reads manifests written before events and reasons were recorded', async () => {
    const reg = registry('old');
    const m = await register(reg, 1);
    const file = path.join(root, 'old/ranker/1/manifest.json');
    writeFileSync(file, JSON.stringify({ ...m, stageHistory: [{ stage: 'candidate', at: m.createdAt }] }));
    expect((await reg.describe('ranker', 1)).stageHistory).toEqual([{ stage: 'candidate', at: m.createdAt }]);
  });
});
