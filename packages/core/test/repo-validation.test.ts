import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildRepoContents, DefinitionError, ErrorCode, FrecError } from '../src/index.js';
import { importDefinitions } from '../src/spi.js';

const root = mkdtempSync(path.join(tmpdir(), 'frec-repo-validation-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

/** Writes a throwaway repo with the given definition files and returns its folder. */
function repo(files: Record<string, string>): string {
  const dir = path.join(root, `repo${n++}`);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

async function loadError(dir: string): Promise<FrecError> {
  try {
    buildRepoContents(await importDefinitions(dir));
  } catch (err) {
    if (err instanceof FrecError) return err;
    throw err;
  }
  throw new Error('expected the repo to be refused');
}

const HEADER = "import { entity, field, fileSource, featureView, Float32, Int64 } from '@frec/core';\n";
const SOURCE = "export const src = fileSource({ name: 'src', path: 'data/x.parquet', timestampField: 'ts' });\n";

describe('definitions repo validation', () => {
  it('loads a valid repo from any folder (resolving @frec/core from this install)', async () => {
    const dir = repo({
      'features.ts': `${HEADER}${SOURCE}export const user = entity({ name: 'user', joinKey: 'user_id', valueType: Int64 });\nexport const stats = featureView({ name: 'stats', entities: [user], source: src, schema: [field('a', Float32)] });\n`,
    });
    const c = buildRepoContents(await importDefinitions(dir));
    expect([...c.featureViews.keys()]).toEqual(['stats']);
    expect([...c.dataSources.keys()]).toEqual(['src']);
  });

  it('names both places (file:line) when two objects share a name', async () => {
    const dir = repo({
      'a.ts': `${HEADER}\nexport const user = entity({ name: 'user', joinKey: 'user_id' });\n`,
      'b.ts': `${HEADER}\n\n\nexport const customer = entity({ name: 'user', joinKey: 'customer_id' });\n`,
    });
    const e = await loadError(dir);
    expect(e.code).toBe(ErrorCode.DUPLICATE_NAME);
    expect(e.message).toMatch(new RegExp(`one at ${path.join(dir, 'a.ts')}:\\d+ and one at ${path.join(dir, 'b.ts')}:\\d+\\.`));
    expect(e.message).toMatch(/named 'user'/);
  });

  it('refuses a view whose entity is not declared in the repo', async () => {
    const dir = repo({
      'features.ts': `${HEADER}${SOURCE}const driver = entity({ name: 'driver', joinKey: 'driver_id', valueType: Int64 });\nexport const driverEntity = entity({ name: 'drivr', joinKey: 'driver_id', valueType: Int64 });\nexport const stats = featureView({ name: 'stats', entities: [driver], source: src, schema: [field('a', Float32)] });\n`,
    });
    const e = await loadError(dir);
    expect(e.code).toBe(ErrorCode.UNKNOWN_ENTITY);
    expect(e.message).toMatch(
      /Feature view 'stats' refers to entity 'driver', which is not declared in this repo\. Did you mean 'drivr'\?/,
    );
    expect(String(e.where.file)).toContain(path.join(dir, 'features.ts'));
  });

  it('reports a definitions file that throws on import with its path and the original error', async () => {
    const dir = repo({
      'good.ts': `${HEADER}export const user = entity({ name: 'user' });\n`,
      'broken.ts': `${HEADER}const table = JSON.parse('{not json');\nexport const x = table;\n`,
    });
    const e = await loadError(dir);
    expect(e.code).toBe(ErrorCode.DEFINITION_IMPORT_FAILED);
    expect(e.message).toContain(`Importing ${path.join(dir, 'broken.ts')} failed`);
    expect(e.message).toMatch(/JSON/);
    expect(e.where.file).toBe(path.join(dir, 'broken.ts'));
  });

  it('reports a syntax error in a definitions file with its path', async () => {
    const dir = repo({ 'features.ts': `${HEADER}export const user = entity({ name: 'user' ;\n` });
    const e = await loadError(dir);
    expect(e.code).toBe(ErrorCode.DEFINITION_IMPORT_FAILED);
    expect(e.message).toContain(path.join(dir, 'features.ts'));
  });

  it('reports an invalid name and a negative ttl with the declaring file and line', async () => {
    const badName = await loadError(repo({ 'features.ts': `${HEADER}\nexport const user = entity({ name: 'user-id' });\n` }));
    expect(badName).toBeInstanceOf(DefinitionError);
    expect(badName.message).toMatch(/Invalid entity 'user-id': name: must start with a letter or underscore/);
    expect(badName.message).toMatch(/Fix the declaration at .*features\.ts:\d+\./);
    const dir = repo({
      'features.ts': `${HEADER}${SOURCE}export const user = entity({ name: 'user' });\nexport const stats = featureView({ name: 'stats', entities: [user], source: src, ttl: '-1d', schema: [field('a', Float32)] });\n`,
    });
    const ttl = await loadError(dir);
    expect(ttl.message).toMatch(/Feature view 'stats' has an invalid ttl '-1d'/);
    expect(ttl.hint).toMatch(/non-negative/);
    expect(String(ttl.where.file)).toMatch(/features\.ts:\d+$/);
  });

  it('validates specs again at apply, catching a spec changed after its declaration', async () => {
    const { entity: mkEntity, featureView: mkView, field: mkField, fileSource: mkSource, Float32: f32 } = await import('../src/index.js');
    const user = mkEntity({ name: 'user' });
    const src = mkSource({ name: 'src', path: 'data/x.parquet', timestampField: 'ts' });
    const view = mkView({ name: 'stats', entities: [user], source: src, schema: [mkField('a', f32)] });
    (view.spec as { ttlSeconds: number }).ttlSeconds = -5;
    expect(() => buildRepoContents([user, src, view].map((object) => ({ object })))).toThrow(
      /Invalid feature view 'stats': ttlSeconds: Number must be greater than or equal to 0/,
    );
  });
});
