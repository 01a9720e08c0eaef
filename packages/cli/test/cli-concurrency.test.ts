import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { frec } from './run-frec.js';

const root = mkdtempSync(path.join(tmpdir(), 'frec-cli-conc-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const registryFile = path.join(root, 'shared', 'registry.json');

const BASE = `import { entity, field, fileSource, featureView, Float32, Int64 } from '@frec/core';
export const user = entity({ name: 'user', joinKey: 'user_id', valueType: Int64 });
export const src = fileSource({ name: 'ratings', path: 'data/ratings.parquet', timestampField: 'ts' });
export const baseStats = featureView({ name: 'base_stats', entities: [user], source: src, schema: [field('x', Float32)] });
`;
const extraView = (name: string) => `import { field, featureView, Float32 } from '@frec/core';
import { user, src } from './base.js';
export const ${name} = featureView({ name: '${name}', entities: [user], source: src, schema: [field('${name}_x', Float32)] });
`;

/**
 * One engineer's checkout: the shared base plus, optionally, their own new view. It has no
 * package.json, so this also proves files that import each other load outside an ES module package.
 */
function checkout(name: string, extra?: string): string {
  const dir = path.join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, 'feature_store.yaml'),
    `project: shared\nplugins: ['@frec/online', '@frec/offline', '@frec/streaming/redis-streams']\nregistry: ${registryFile}\nonline_store:\n  type: sqlite\n  path: data/online.db\n`,
  );
  writeFileSync(path.join(dir, 'base.ts'), BASE);
  if (extra) writeFileSync(path.join(dir, `${extra}.ts`), extraView(extra));
  return dir;
}

describe('two concurrent `frec apply` processes on one local registry', () => {
  it('exactly one wins; the loser gets REGISTRY_CONFLICT, re-plans, and re-applies without losing either change', async () => {
    const setup = await frec(['-c', checkout('setup'), 'apply', '--skip-source-validation'], { cwd: root });
    expect(setup.code, setup.stderr).toBe(0);
    const alice = checkout('alice', 'alice_stats');
    const bob = checkout('bob', 'bob_stats');

    const [a, b] = await Promise.all([
      frec(['--json', 'apply', '--skip-source-validation', '--base-generation', '1'], { cwd: alice }),
      frec(['--json', 'apply', '--skip-source-validation', '--base-generation', '1'], { cwd: bob }),
    ]);
    expect([a.code, b.code].sort()).toEqual([0, 1]);
    const [winner, loser, loserDir, winnerView] = a.code === 0 ? [a, b, bob, 'alice_stats'] : [b, a, alice, 'bob_stats'];
    expect(JSON.parse(winner.stdout)).toMatchObject({ generation: 2 });
    const err = JSON.parse(loser.stderr).error;
    expect(err.code).toBe('REGISTRY_CONFLICT');
    expect(err.message).toMatch(/frec plan/);

    // The loser re-plans: the winner's view shows up as something its checkout would remove.
    const replan = await frec(['--json', 'plan'], { cwd: loserDir });
    const plan = JSON.parse(replan.stdout);
    expect(plan.baseGeneration).toBe(2);
    expect(plan.changes.map((c: { type: string; name: string }) => `${c.type} ${c.name}`)).toContain(`remove ${winnerView}`);

    // After pulling the winner's file, applying from the new base keeps both changes.
    copyFileSync(path.join(a.code === 0 ? alice : bob, `${winnerView}.ts`), path.join(loserDir, `${winnerView}.ts`));
    const again = await frec(['apply', '--skip-source-validation', '--base-generation', '2'], { cwd: loserDir });
    expect(again.code, again.stderr).toBe(0);
    const registry = JSON.parse(readFileSync(registryFile, 'utf8'));
    expect(registry.generation).toBe(3);
    expect(Object.keys(registry.featureViews).sort()).toEqual(['alice_stats', 'base_stats', 'bob_stats']);
  });
});
