import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { definePlugin, registerPlugin } from '@frec/core/spi';
import { LocalModelStore, S3ModelStore, modelStoreTypeOf, openModelRegistry, openModelStore, type ModelStore } from '../src/index.js';
import { startMotoServer, type MotoServer } from '../../core/test/helpers/moto-server.js';

const trainingData = { start: '2017-01-01T00:00:00.000Z', end: '2018-01-01T00:00:00.000Z' };
const root = mkdtempSync(path.join(tmpdir(), 'frec-open-models-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('openModelRegistry: the location picks the model store plugin', () => {
  it('maps schemes to store types: a folder or file:// URL is local, s3:// is s3', () => {
    expect(['models', '/abs/models', 'C:/models', 'file:///tmp/m', 's3://b/p', 'S3://b', 'gs://b/p'].map(modelStoreTypeOf)).toEqual([
      'local',
      'local',
      'local',
      'local',
      's3',
      's3',
      'gs',
    ]);
  });

  it('resolves a relative folder against baseDir, and a file:// URL to its path', async () => {
    const rel = openModelStore('data/models', { baseDir: root });
    expect(rel).toBeInstanceOf(LocalModelStore);
    expect(rel.location).toBe(path.join(root, 'data/models'));
    const reg = openModelRegistry('data/models', { baseDir: root });
    await reg.register({ name: 'm', featureService: 's', trainingData, artifacts: [{ path: 'w.bin', data: new Uint8Array([1]) }] });
    expect(existsSync(path.join(root, 'data/models/m/1/manifest.json'))).toBe(true);
    const url = openModelStore(pathToFileURL(path.join(root, 'data/models')).href);
    expect(url.location).toBe(path.join(root, 'data/models'));
    expect((await openModelRegistry(url.location).list()).map((m) => m.name)).toEqual(['m']);
  });

  it('refuses an unregistered scheme and a malformed s3 location with a coded error', () => {
    expect(() => openModelRegistry('gs://bucket/models')).toThrow(
      expect.objectContaining({
        code: 'UNKNOWN_PLUGIN',
        message: expect.stringMatching(/'gs' location, and no model store is registered for it \(registered: .*local.*s3/),
        hint: expect.stringContaining("registers a 'gs' model store"),
      }),
    );
    expect(() => openModelRegistry('s3://')).toThrow(
      expect.objectContaining({ code: 'INVALID_CONFIG', message: expect.stringContaining('must be s3://bucket/prefix') }),
    );
  });

  it('opens a store of a scheme another package registers, even one built asynchronously', async () => {
    const schema = z.object({ type: z.literal('memtest'), path: z.string() }).strict();
    const files = new Map<string, Uint8Array>();
    const memory = (location: string): ModelStore => ({
      location,
      read: async (k) => files.get(`${location}|${k}`) ?? null,
      write: async (k, d) => void files.set(`${location}|${k}`, d),
      writeIfAbsent: async (k, d) => (files.has(`${location}|${k}`) ? false : (files.set(`${location}|${k}`, d), true)),
      list: async (p) => [...files.keys()].filter((k) => k.startsWith(`${location}|${p}`)).map((k) => k.slice(location.length + 1)),
    });
    registerPlugin(
      definePlugin({
        kind: 'modelStore',
        type: 'memtest',
        configSchema: schema,
        create: async (config) => memory(config.path),
      }),
    );
    const reg = openModelRegistry('memtest://team/models');
    expect(reg.store.location).toBe('memtest://team/models');
    const m = await reg.register({
      name: 'ranker',
      featureService: 's',
      trainingData,
      artifacts: [{ path: 'a', data: new Uint8Array([7]) }],
    });
    expect(await reg.readArtifact(m, 'a')).toEqual(new Uint8Array([7]));
    expect([...files.keys()].every((k) => k.startsWith('memtest://team/models|ranker/1/'))).toBe(true);
  });
});

describe('openModelRegistry on S3 (moto)', () => {
  let moto: MotoServer;
  const bucket = `frec-models-${randomUUID()}`;
  const saved = { FREC_S3_ENDPOINT: process.env.FREC_S3_ENDPOINT, AWS_ENDPOINT_URL: process.env.AWS_ENDPOINT_URL };
  beforeAll(async () => {
    moto = await startMotoServer();
    await moto.createBucket(bucket);
  }, 60_000);
  afterAll(async () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await moto?.stop();
  });

  it('takes the endpoint from FREC_S3_ENDPOINT, registers, promotes and verifies versions under the prefix', async () => {
    process.env.FREC_S3_ENDPOINT = moto.endpoint;
    const reg = openModelRegistry(`s3://${bucket}/team`);
    expect(reg.store).toBeInstanceOf(S3ModelStore);
    expect(reg.store.location).toBe(`s3://${bucket}/team`);
    const a = await reg.register({
      name: 'ranker',
      featureService: 'ranker_v1',
      trainingData,
      artifacts: [{ path: 'model.onnx', data: new Uint8Array([1, 2, 3]) }],
    });
    const b = await reg.register({
      name: 'ranker',
      featureService: 'ranker_v1',
      trainingData,
      artifacts: [{ path: 'model.onnx', data: new Uint8Array([4, 5]) }],
    });
    expect([a.version, b.version]).toEqual([1, 2]);
    expect((await reg.list()).map((m) => m.version)).toEqual([1, 2]);
    await reg.promote('ranker', 2, { featureServiceExists: async () => true });
    expect((await reg.describe('ranker', 'production')).version).toBe(2);
    expect(await reg.readArtifact(b, 'model.onnx')).toEqual(new Uint8Array([4, 5]));
    await expect(reg.promote('ranker', 1, { featureServiceExists: async () => false })).rejects.toThrow(
      /feature service 'ranker_v1' is not in the feature registry/,
    );
    const keys = await moto.client.send(new ListObjectsV2Command({ Bucket: bucket }));
    expect((keys.Contents ?? []).every((o) => o.Key!.startsWith('team/ranker/'))).toBe(true);
  });

  it('an explicit endpoint wins over the environment', async () => {
    process.env.FREC_S3_ENDPOINT = 'http://127.0.0.1:9';
    const reg = openModelRegistry(`s3://${bucket}/team`, { endpoint: moto.endpoint });
    expect((await reg.list()).map((m) => m.version)).toEqual([1, 2]);
  });
});
