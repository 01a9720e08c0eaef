import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { FeatureStore } from '../../src/index.js';
import { decodeRegistry, REGISTRY_HISTORY_LIMIT } from '../../src/spi.js';

const root = mkdtempSync(path.join(tmpdir(), 'frec-apply-history-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const YAML = [
  'project: hist',
  "plugins: ['@frec/online', '@frec/offline']",
  'registry: data/registry.json',
  'online_store:',
  '  type: sqlite',
  '  path: data/online.db',
  '',
].join('\n');

/** Definitions with the view declared on a known line (after `pad` blank lines) and its description. */
function definitions(pad: number, description: string): string {
  return [
    "import { entity, featureView, field, fileSource, Float32, Int64 } from '@frec/core';",
    "export const user = entity({ name: 'user', joinKey: 'user_id', valueType: Int64 });",
    "export const src = fileSource({ name: 'ratings', path: 'data/ratings.parquet', timestampField: 'ts' });",
    ...Array.from({ length: pad }, () => ''),
    `export const stats = featureView({ name: 'stats', entities: [user], source: src, description: ${JSON.stringify(description)}, schema: [field('score', Float32)] });`,
    '',
  ].join('\n');
}

function registryFile(repo: string) {
  return decodeRegistry(readFileSync(path.join(repo, 'data', 'registry.json'), 'utf8'), 'registry.json');
}

const CORE_INDEX = fileURLToPath(new URL('../../src/index.ts', import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/**
 * Applies the repo in a child process, as `frec apply` does: inside vitest, definition files are
 * transformed by vite, whose stack traces do not map back to the lines of the file.
 */
function applyRepo(repo: string): number {
  const script = path.join(repo, '.apply.mts');
  writeFileSync(
    script,
    `import { FeatureStore } from ${JSON.stringify(CORE_INDEX)};
const store = await FeatureStore.open({ repoPath: ${JSON.stringify(repo)} });
const res = await store.apply(undefined, { validateSources: false });
await store.close();
process.stdout.write(String(res.generation));`,
  );
  const res = spawnSync(process.execPath, ['--import', TSX, script], { encoding: 'utf8', cwd: repo });
  if (res.status !== 0) throw new Error(`apply failed: ${res.stderr}`);
  return Number(res.stdout.trim().split('\n').at(-1));
}

describe('apply keeps a history and declaration sites', () => {
  it('records each apply with its generation, user, time and plan diff; re-applying the same files records nothing', async () => {
    const repo = mkdtempSync(path.join(root, 'repo-'));
    writeFileSync(path.join(repo, 'feature_store.yaml'), YAML);
    writeFileSync(path.join(repo, 'features.ts'), definitions(0, 'first'));
    expect(applyRepo(repo)).toBe(1);
    writeFileSync(path.join(repo, 'features.ts'), definitions(0, 'second'));
    expect(applyRepo(repo)).toBe(2);
    expect(applyRepo(repo)).toBe(2);

    const data = registryFile(repo);
    expect(data.history.map((h) => h.generation)).toEqual([1, 2]);
    const [first, second] = data.history;
    expect(first!.user).toBe(userInfo().username);
    expect(Date.parse(first!.appliedAt)).toBeLessThanOrEqual(Date.parse(second!.appliedAt));
    expect(first!.changes.map((c) => `${c.type} ${c.kind} ${c.name}`).sort()).toEqual([
      'add dataSources ratings',
      'add entities user',
      'add featureViews stats',
    ]);
    expect(second!.changes).toEqual([
      { type: 'change', kind: 'featureViews', name: 'stats', details: ['description: "first" -> "second"'], breaking: [] },
    ]);
    expect(second!.unchanged).toBe(2);
  });

  it('stores where each object is declared, relative to the repo, and follows a declaration that moved', async () => {
    const repo = mkdtempSync(path.join(root, 'repo-'));
    writeFileSync(path.join(repo, 'feature_store.yaml'), YAML);
    writeFileSync(path.join(repo, 'features.ts'), definitions(0, 'd'));
    applyRepo(repo);
    let data = registryFile(repo);
    expect(data.entities.user!.site).toBe('features.ts:2');
    expect(data.dataSources.ratings!.site).toBe('features.ts:3');
    expect(data.featureViews.stats!.site).toBe('features.ts:4');

    // Three lines inserted above the view: no spec changed, yet the stored site follows it.
    writeFileSync(path.join(repo, 'features.ts'), definitions(3, 'd'));
    const generation = applyRepo(repo);
    data = registryFile(repo);
    expect(generation).toBe(2);
    expect(data.featureViews.stats!.site).toBe('features.ts:7');
    expect(data.featureViews.stats!.version).toBe(1);
    // A move is not an apply of a plan: the history keeps the one real apply.
    expect(data.history.map((h) => h.generation)).toEqual([1]);
  });

  it(`keeps only the latest ${REGISTRY_HISTORY_LIMIT} applies`, async () => {
    const repo = mkdtempSync(path.join(root, 'repo-'));
    writeFileSync(path.join(repo, 'feature_store.yaml'), YAML);
    const store = await FeatureStore.open({ repoPath: repo });
    try {
      for (let i = 0; i < REGISTRY_HISTORY_LIMIT + 3; i++) {
        writeFileSync(path.join(repo, 'features.ts'), definitions(0, `v${i}`));
        await store.apply(await store.loadDefinitions(), { validateSources: false });
      }
    } finally {
      await store.close();
    }
    const data = registryFile(repo);
    expect(data.history).toHaveLength(REGISTRY_HISTORY_LIMIT);
    expect(data.history[0]!.generation).toBe(4);
    expect(data.history.at(-1)!.generation).toBe(REGISTRY_HISTORY_LIMIT + 3);
  });

  it('reads a registry written before history and sites were kept', async () => {
    const repo = mkdtempSync(path.join(root, 'repo-'));
    writeFileSync(path.join(repo, 'feature_store.yaml'), YAML);
    writeFileSync(path.join(repo, 'features.ts'), definitions(0, 'd'));
    applyRepo(repo);
    const file = path.join(repo, 'data', 'registry.json');
    const old = JSON.parse(readFileSync(file, 'utf8'));
    delete old.history;
    for (const kind of ['entities', 'dataSources', 'featureViews']) for (const o of Object.values<any>(old[kind])) delete o.site;
    writeFileSync(file, JSON.stringify(old));
    expect(registryFile(repo).history).toEqual([]);
    // The next apply of the same files records the sites (a commit) without inventing a plan.
    expect(applyRepo(repo)).toBe(2);
    const data = registryFile(repo);
    expect(data.featureViews.stats!.site).toBe('features.ts:4');
    expect(data.history).toEqual([]);
  });
});
