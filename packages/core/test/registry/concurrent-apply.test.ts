import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildRepoContents,
  entity,
  ErrorCode,
  FeatureStore,
  featureView,
  field,
  fileSource,
  Float32,
  Int64,
  parseRepoConfig,
  type RepoContents,
} from '../../src/index.js';
import { startMotoServer, type MotoServer } from '../helpers/moto-server.js';

const root = mkdtempSync(path.join(tmpdir(), 'frec-concurrent-apply-'));
let moto: MotoServer;
const bucket = `frec-test-${randomUUID()}`;
beforeAll(async () => {
  moto = await startMotoServer();
  await moto.createBucket(bucket);
});
afterAll(async () => {
  await moto?.stop();
  rmSync(root, { recursive: true, force: true });
});

const user = entity({ name: 'user', joinKey: 'user_id', valueType: Int64 });
const src = fileSource({ name: 'ratings', path: 'data/ratings.parquet', timestampField: 'ts' });
const view = (name: string) => featureView({ name, entities: [user], source: src, schema: [field(`${name}_x`, Float32)] });
const base = view('base_stats');
const fromA = view('a_stats');
const fromB = view('b_stats');
const contents = (...views: Array<ReturnType<typeof view>>): RepoContents =>
  buildRepoContents([user, src, ...views].map((object) => ({ object })));

const BACKENDS = [
  { name: 'local file', registry: () => ({ path: 'data/registry.json' }) },
  { name: 'S3 (moto)', registry: () => ({ path: `s3://${bucket}/${randomUUID()}/registry.json`, s3_endpoint: moto.endpoint }) },
] as const;

for (const backend of BACKENDS) {
  describe(`concurrent apply: ${backend.name}`, () => {
    it('lets exactly one of two applies from the same base win; the loser re-plans and loses nothing', async () => {
      const repoPath = mkdtempSync(path.join(root, 'repo-'));
      const reg = backend.registry();
      const yaml = [
        `project: conc`,
        "plugins: ['@frec/online', '@frec/offline', '@frec/streaming/redis-streams']",
        `registry:`,
        ...Object.entries(reg).map(([k, v]) => `  ${k}: ${v}`),
        `online_store:`,
        `  type: sqlite`,
        `  path: data/online.db`,
        '',
      ].join('\n');
      const open = () =>
        FeatureStore.open({ config: parseRepoConfig(yaml, { file: path.join(repoPath, 'feature_store.yaml'), repoPath }) });
      const stores = await Promise.all([open(), open(), open()]);
      const [setup, alice, bob] = stores as [FeatureStore, FeatureStore, FeatureStore];
      try {
        const first = await setup.apply(contents(base), { validateSources: false });
        expect(first.generation).toBe(1);

        // Both engineers plan against generation 1, then apply at the same time.
        const planA = await alice.plan(contents(base, fromA));
        const planB = await bob.plan(contents(base, fromB));
        expect([planA.baseGeneration, planB.baseGeneration]).toEqual([1, 1]);
        const results = await Promise.allSettled([
          alice.apply(contents(base, fromA), { validateSources: false, baseGeneration: planA.baseGeneration }),
          bob.apply(contents(base, fromB), { validateSources: false, baseGeneration: planB.baseGeneration }),
        ]);
        const won = results.filter((r) => r.status === 'fulfilled');
        const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(1);
        expect(lost[0]!.reason).toMatchObject({ code: ErrorCode.REGISTRY_CONFLICT, message: expect.stringMatching(/frec plan/) });

        const aliceWon = results[0]!.status === 'fulfilled';
        const [winnerView, loser, loserView] = aliceWon ? [fromA, bob, fromB] : [fromB, alice, fromA];
        // Re-planning shows the loser the winner's change (it would be removed) and its own.
        const replan = await loser.plan(contents(base, loserView));
        expect(replan.baseGeneration).toBe(2);
        expect(replan.changes.map((c) => `${c.type} ${c.name}`).sort()).toEqual([`add ${loserView.name}`, `remove ${winnerView.name}`]);
        // After merging the winner's change, re-applying keeps both.
        const merged = contents(base, fromA, fromB);
        const mergedPlan = await loser.plan(merged);
        expect(mergedPlan.changes.map((c) => `${c.type} ${c.name}`)).toEqual([`add ${loserView.name}`]);
        const res = await loser.apply(merged, { validateSources: false, baseGeneration: mergedPlan.baseGeneration });
        expect(res.generation).toBe(3);
        const final = await setup.registry.data({ fresh: true });
        expect(Object.keys(final.featureViews).sort()).toEqual(['a_stats', 'b_stats', 'base_stats']);
        expect(final.generation).toBe(3);
        expect((await setup.plan(merged)).changes).toEqual([]);
      } finally {
        await Promise.all(stores.map((s) => s.close()));
      }
    });
  });
}
