import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { frec } from './run-frec.js';

const root = mkdtempSync(path.join(tmpdir(), 'frec-cli-errors-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

/** A minimal ES-module repo with the given files (feature_store.yaml defaults to a local registry). */
function repo(files: Record<string, string>): string {
  const dir = path.join(root, `repo${n++}`);
  mkdirSync(path.join(dir, 'data'), { recursive: true });
  const all = { 'package.json': '{"type":"module"}\n', 'feature_store.yaml': `project: p${n}\nregistry: data/registry.json\n`, ...files };
  for (const [name, text] of Object.entries(all)) writeFileSync(path.join(dir, name), text);
  return dir;
}

const ENTITY_FILE = "import { entity } from '@frec/core';\nexport const user = entity({ name: 'user', joinKey: 'user_id' });\n";

describe('frec CLI habits', () => {
  it('prints --help for the program and for verbs, exiting 0', async () => {
    const [top, describeHelp] = await Promise.all([
      frec(['--help'], { cwd: root }),
      frec(['feature-views', 'describe', '--help'], { cwd: root }),
    ]);
    expect(top.code).toBe(0);
    for (const verb of ['init', 'plan', 'apply', 'teardown', 'registry-dump', 'entities', 'feature-views', 'feature-services'])
      expect(top.stdout).toContain(verb);
    expect(top.stdout).toMatch(/-c, --chdir <path>/);
    expect(describeHelp.code).toBe(0);
    expect(describeHelp.stdout).toMatch(/Usage: frec feature-views describe \[options\] <name>/);
  });

  it('exits 1 with a clear message for an unknown verb, a missing repo, a bad option value and a bad project name', async () => {
    const [unknown, missing, badGen, badName] = await Promise.all([
      frec(['aply'], { cwd: root }),
      frec(['--json', 'plan'], { cwd: root }),
      frec(['--json', 'apply', '--base-generation', 'x'], { cwd: root }),
      frec(['init', 'my-demo'], { cwd: root }),
    ]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/unknown command 'aply'[\s\S]*\(Did you mean apply\?\)/);
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stderr).error).toMatchObject({
      code: 'CONFIG_NOT_FOUND',
      message: expect.stringContaining(`No feature_store.yaml in ${root}`),
    });
    expect(badGen.code).toBe(1);
    // With --json even a usage error is JSON.
    expect(JSON.parse(badGen.stderr).error).toMatchObject({
      code: 'INVALID_USAGE',
      message: expect.stringMatching(/--base-generation <n>' argument 'x' is invalid/),
    });
    expect(badName.code).toBe(1);
    expect(badName.stderr).toMatch(/error \[INVALID_CONFIG\]: Project name 'my-demo' is invalid\. Use letters, digits and underscores/);
  });

  it('reports malformed feature_store.yaml with line and column', async () => {
    const dir = repo({
      'feature_store.yaml': 'project: p\nregistry: data/registry.json\nonline_store:\n  type: sqlite\n   path: data/online.db\n',
    });
    const r = await frec(['plan'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(
        `error \\[INVALID_CONFIG\\]: ${path.join(dir, 'feature_store.yaml')}:4:9: malformed YAML: .+ Fix the YAML syntax at that line and column\\.`,
      ),
    );
  });

  it('names both declarations, with their lines, when two entities share a name', async () => {
    const dir = repo({
      'a.ts': ENTITY_FILE,
      'b.ts': `import { entity } from '@frec/core';\n\n\nexport const customer = entity({ name: 'user', joinKey: 'customer_id' });\n`,
    });
    const r = await frec(['plan'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `error [DUPLICATE_NAME]: Two entities are named 'user': one at ${path.join(dir, 'a.ts')}:2 and one at ${path.join(dir, 'b.ts')}:4.`,
    );
  });

  for (const [what, bytes, code] of [
    ['corrupt', '{"schemaVersion": 1, "project": "p", "gener', 'REGISTRY_CORRUPT'],
    ['from a newer frec', '{"schemaVersion": 7, "project": "p", "generation": 40, "entities": {}}\n', 'REGISTRY_VERSION_UNSUPPORTED'],
  ] as const) {
    it(`refuses to apply over a registry that is ${what}, leaving it byte-for-byte unchanged`, async () => {
      const dir = repo({ 'features.ts': ENTITY_FILE });
      const file = path.join(dir, 'data', 'registry.json');
      writeFileSync(file, bytes);
      const r = await frec(['apply', '--skip-source-validation'], { cwd: dir });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`error [${code}]: Registry at ${file}`);
      expect(r.stderr).toMatch(/will not overwrite it|left untouched/);
      expect(readFileSync(file, 'utf8')).toBe(bytes);
    });
  }
});
