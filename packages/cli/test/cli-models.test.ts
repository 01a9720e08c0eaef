import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openModelRegistry, type ModelManifest, type ModelRegistry } from '@frec/model-registry';
import { seededRandom } from '@frec/core/spi';
import { frec as runFrec } from './run-frec.js';

const root = mkdtempSync(path.join(tmpdir(), 'frec-cli-models-'));
const repo = path.join(root, 'demo');

/** Runs the real CLI from the temp folder, with no registry from the environment. */
const frec = (args: string[]) => runFrec(args, { cwd: root, env: { FREC_MODEL_REGISTRY: '' } });

const trainingData = { start: '2017-01-01T00:00:00.000Z', end: '2018-01-01T00:00:00.000Z', rows: 10 };

/** A small generated model: seeded logistic-regression weights as JSON, as a training run would write them. */
function weights(seed: number): Uint8Array {
  const rand = seededRandom(seed);
  return new TextEncoder().encode(JSON.stringify({ w: Array.from({ length: 4 }, () => Number((rand() * 2 - 1).toFixed(6))), b: 0.1 }));
}

describe('frec models (real CLI, local registry)', () => {
  let reg: ModelRegistry;
  let v1: ModelManifest;
  let v2: ModelManifest;
  let orphan: ModelManifest;

  beforeAll(async () => {
    // The scaffolded repo declares the feature service the models read (driver_activity_v1).
    const init = await frec(['init', 'demo']);
    expect(init.code, init.stderr).toBe(0);
    const applied = await frec(['-c', repo, 'apply']);
    expect(applied.code, applied.stderr).toBe(0);
    reg = openModelRegistry(path.join(repo, 'data', 'models'));
    v1 = await reg.register({
      name: 'ranker',
      featureService: 'driver_activity_v1',
      trainingData,
      metrics: { 'global_time/ndcg20': 0.1 },
      artifacts: [{ path: 'params.json', data: weights(1) }],
    });
    v2 = await reg.register({
      name: 'ranker',
      featureService: 'driver_activity_v1',
      trainingData,
      metrics: { 'global_time/ndcg20': 0.2 },
      artifacts: [{ path: 'params.json', data: weights(2) }],
    });
    orphan = await reg.register({
      name: 'legacy',
      featureService: 'driver_activity_v0',
      trainingData,
      artifacts: [{ path: 'm.bin', data: weights(3) }],
    });
  }, 120_000);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('numbers versions, stores sha256 checksums and starts as candidate', () => {
    expect([v1.version, v2.version]).toEqual([1, 2]);
    expect(v1.stage).toBe('candidate');
    expect(v1.artifacts[0]!.sha256).toBe(createHash('sha256').update(weights(1)).digest('hex'));
    expect(v1.artifacts[0]!.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(v1.artifacts[0]!.sha256).not.toBe(v2.artifacts[0]!.sha256);
  });

  it('lists and describes models as JSON and text', async () => {
    const list = await frec(['-c', repo, '--json', 'models', 'list']);
    expect(list.code, list.stderr).toBe(0);
    const rows = JSON.parse(list.stdout) as ModelManifest[];
    expect(rows.map((m) => `${m.name}:${m.version}`)).toEqual(['legacy:1', 'ranker:1', 'ranker:2']);
    const text = await frec(['-c', repo, 'models', 'describe', 'ranker', '1']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('feature service:  driver_activity_v1');
    expect(text.stdout).toContain(`sha256:${v1.artifacts[0]!.sha256}`);
    expect(text.stdout).toContain('2017-01-01T00:00:00.000Z .. 2018-01-01T00:00:00.000Z');
  });

  it('promotes to production and archives the previous production version', async () => {
    expect((await frec(['-c', repo, 'models', 'promote', 'ranker', '1'])).code).toBe(0);
    const p2 = await frec(['-c', repo, 'models', 'promote', 'ranker', '2']);
    expect(p2.code, p2.stderr).toBe(0);
    expect(p2.stdout).toContain('Promoted ranker v2 to production');
    const prod = JSON.parse((await frec(['-c', repo, '--json', 'models', 'describe', 'ranker', 'production'])).stdout) as ModelManifest;
    expect(prod.version).toBe(2);
    const old = JSON.parse((await frec(['-c', repo, '--json', 'models', 'describe', 'ranker', '1'])).stdout) as ModelManifest;
    expect(old.stage).toBe('archived');
    expect(old.stageHistory.map((s) => s.stage)).toEqual(['candidate', 'production', 'archived']);
  });

  it('refuses to promote a model whose feature service is not in the feature registry', async () => {
    const r = await frec(['-c', repo, '--json', 'models', 'promote', 'legacy', '1']);
    expect(r.code).toBe(1);
    const err = JSON.parse(r.stderr).error as { code: string; message: string };
    expect(err.code).toBe('MODEL_REGISTRY_ERROR');
    expect(err.message).toContain("feature service 'driver_activity_v0' is not in the feature registry");
    expect((await reg.describe('legacy', 1)).stage).toBe('candidate');
    expect(orphan.stage).toBe('candidate');
  });

  it('refuses a tampered artifact, an unknown model and a bad version', async () => {
    writeFileSync(path.join(repo, 'data', 'models', 'ranker', '1', 'artifacts', 'params.json'), '{"w":[666]}');
    const tampered = await frec(['-c', repo, 'models', 'promote', 'ranker', '1']);
    expect(tampered.code).toBe(1);
    expect(tampered.stderr).toContain('does not match its sha256 checksum');
    const unknown = await frec(['-c', repo, 'models', 'describe', 'rankr']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("Did you mean 'ranker'");
    const bad = await frec(['-c', repo, 'models', 'describe', 'ranker', 'newest']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("'newest' is not a number");
    const help = await frec(['models', 'promote', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--stage');
  });
});
