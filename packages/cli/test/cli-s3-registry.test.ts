import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MOTO_ENV, startMotoServer, type MotoServer } from '../../core/test/helpers/moto-server.js';
import { frec } from './run-frec.js';

const root = mkdtempSync(path.join(tmpdir(), 'frec-cli-s3-'));
const bucket = `frec-test-${randomUUID()}`;
let moto: MotoServer;
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  moto = await startMotoServer();
  await moto.createBucket(bucket);
  // The repo's feature_store.yaml reads these through ${VAR} interpolation.
  env = {
    ...MOTO_ENV,
    FREC_REGISTRY_BUCKET: bucket,
    FREC_S3_ENDPOINT: moto.endpoint,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
});
afterAll(async () => {
  await moto?.stop();
  rmSync(root, { recursive: true, force: true });
});

const FEATURES = (extra: string) => `import { entity, field, fileSource, featureView, Float32, Int64 } from '@frec/core';
export const user = entity({ name: 'user', joinKey: 'user_id', valueType: Int64 });
export const src = fileSource({ name: 'ratings', path: 'data/ratings.parquet', timestampField: 'ts' });
export const base = featureView({ name: 'base_stats', entities: [user], source: src, schema: [field('x', Float32)] });
${extra ? `export const extra = featureView({ name: '${extra}', entities: [user], source: src, schema: [field('y', Float32)] });` : ''}
`;

function checkout(name: string, extra = ''): string {
  const dir = path.join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}\n');
  writeFileSync(
    path.join(dir, 'feature_store.yaml'),
    "project: shared\nplugins: ['@frec/online', '@frec/offline', '@frec/streaming/redis-streams']\nregistry:\n  path: s3://${FREC_REGISTRY_BUCKET}/team/registry.json\n  s3_endpoint: ${FREC_S3_ENDPOINT}\nonline_store:\n  type: sqlite\n  path: data/online.db\n",
  );
  writeFileSync(path.join(dir, 'features.ts'), FEATURES(extra));
  return dir;
}

describe('frec with an S3 registry (moto)', () => {
  it('applies through ${VAR}-interpolated config; of two concurrent applies from one base exactly one wins', async () => {
    const setup = await frec(['apply', '--skip-source-validation'], { cwd: checkout('setup'), env });
    expect(setup.code, setup.stderr).toBe(0);
    expect(setup.stdout).toMatch(/Applied\. Registry generation 1\./);

    const [a, b] = await Promise.all([
      frec(['--json', 'apply', '--skip-source-validation', '--base-generation', '1'], { cwd: checkout('alice', 'alice_stats'), env }),
      frec(['--json', 'apply', '--skip-source-validation', '--base-generation', '1'], { cwd: checkout('bob', 'bob_stats'), env }),
    ]);
    expect([a.code, b.code].sort()).toEqual([0, 1]);
    const loser = a.code === 0 ? b : a;
    expect(JSON.parse(loser.stderr).error).toMatchObject({ code: 'REGISTRY_CONFLICT', message: expect.stringMatching(/frec plan/) });

    const dump = await frec(['registry-dump'], { cwd: path.join(root, 'setup'), env });
    const registry = JSON.parse(dump.stdout);
    expect(registry.generation).toBe(2);
    expect(Object.keys(registry.featureViews).sort()).toEqual([a.code === 0 ? 'alice_stats' : 'bob_stats', 'base_stats'].sort());
  });
});
