import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openModelRegistry, type ModelManifest, type ModelRegistry } from '@frec/serving/model-registry';
import { loadMovieLens } from '../src/data/movielens-loader.js';
import { computeFeatures } from '../src/features/compute-features.js';
import { csvFixture, tempFeatureRepo } from './fixtures.js';

const run = promisify(execFile);
const FREC = new URL('../../../node_modules/.bin/frec', import.meta.url).pathname;

/** Runs the real CLI; returns exit code and output instead of throwing. */
async function frec(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(FREC, args, { env: { ...process.env, FREC_MODEL_REGISTRY: '' } });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const trainingData = { start: '2017-01-01T00:00:00.000Z', end: '2018-01-01T00:00:00.000Z', rows: 10 };
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('frec models (real CLI, local registry)', () => {
  let repo: string;
  let fixtureDir: string;
  let reg: ModelRegistry;
  let v1: ModelManifest;
  let v2: ModelManifest;
  let orphan: ModelManifest;

  beforeAll(async () => {
    const fx = csvFixture(9, 6, 15);
    fixtureDir = fx.dir;
    repo = tempFeatureRepo();
    await loadMovieLens({ inputDir: fx.dir, outDir: path.join(repo, 'data') });
    await computeFeatures(path.join(repo, 'data'));
    const applied = await frec(['-c', repo, 'apply']);
    expect(applied.code, applied.stderr).toBe(0);
    reg = openModelRegistry(path.join(repo, 'data', 'models'));
    v1 = await reg.register({
      name: 'ranker',
      featureService: 'ranker_v1',
      trainingData,
      metrics: { 'global_time/ndcg20': 0.1 },
      artifacts: [{ path: 'params.json', data: bytes('{"w":[1]}') }],
    });
    v2 = await reg.register({
      name: 'ranker',
      featureService: 'ranker_v1',
      trainingData,
      metrics: { 'global_time/ndcg20': 0.2 },
      artifacts: [{ path: 'params.json', data: bytes('{"w":[2]}') }],
    });
    orphan = await reg.register({
      name: 'legacy',
      featureService: 'ranker_v0',
      trainingData,
      artifacts: [{ path: 'm.bin', data: bytes('x') }],
    });
  }, 120_000);
  afterAll(() => {
    for (const d of [repo, fixtureDir]) if (d) rmSync(d, { recursive: true, force: true });
  });

  it('numbers versions, stores sha256 checksums and starts as candidate', () => {
    expect([v1.version, v2.version]).toEqual([1, 2]);
    expect(v1.stage).toBe('candidate');
    expect(v1.artifacts[0]!.sha256).toBe(createHash('sha256').update('{"w":[1]}').digest('hex'));
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
    expect(text.stdout).toContain('feature service:  ranker_v1');
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
    expect(err.message).toContain("feature service 'ranker_v0' is not in the feature registry");
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
