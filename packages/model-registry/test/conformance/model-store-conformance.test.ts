import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registeredTypes } from '@frec/core/spi';
import { ModelRegistry, openModelStore, type ModelStore } from '../../src/index.js';
import { startMotoServer, type MotoServer } from '../../../core/test/helpers/moto-server.js';

/** How to get fresh, empty locations of one model store type. */
interface StoreFixture {
  start(): Promise<void>;
  /** A store over a new, empty location. */
  newStore(): ModelStore;
  /** A second store over the same location (another process would open its own). */
  sameLocation(store: ModelStore): ModelStore;
  stop(): Promise<void>;
}

const localRoot = mkdtempSync(path.join(tmpdir(), 'frec-model-store-'));
let moto: MotoServer | undefined;
const bucket = `frec-models-${randomUUID()}`;

// One fixture per registered model store type; a type registered without one fails the suite below.
const FIXTURES: Record<string, StoreFixture> = {
  local: {
    start: async () => {},
    newStore: () => openModelStore(randomUUID(), { baseDir: localRoot }),
    sameLocation: (store) => openModelStore(store.location),
    stop: async () => rmSync(localRoot, { recursive: true, force: true }),
  },
  s3: {
    start: async () => {
      moto = await startMotoServer();
      await moto.createBucket(bucket);
    },
    newStore: () => openModelStore(`s3://${bucket}/${randomUUID()}/models`, { endpoint: moto!.endpoint }),
    sameLocation: (store) => openModelStore(store.location, { endpoint: moto!.endpoint }),
    stop: async () => moto?.stop(),
  },
};

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array | null): string | null => (b === null ? null : new TextDecoder().decode(b));

it('every registered model store type has a conformance fixture', () => {
  expect(Object.keys(FIXTURES).sort()).toEqual(registeredTypes('modelStore'));
});

for (const type of registeredTypes('modelStore')) {
  const fx = FIXTURES[type];
  if (!fx) continue;

  describe(`ModelStore conformance: ${type}`, () => {
    beforeAll(() => fx.start(), 60_000);
    afterAll(() => fx.stop());

    it('reads null for a missing key, then what was written, byte for byte; a write replaces', async () => {
      const store = fx.newStore();
      expect(await store.read('ranker/1/manifest.json')).toBeNull();
      const binary = Uint8Array.from({ length: 1024 }, (_, i) => (i * 37) & 255);
      await store.write('ranker/1/artifacts/model.onnx', binary);
      await store.write('ranker/1/manifest.json', bytes('{"v":1}'));
      expect(Buffer.from((await store.read('ranker/1/artifacts/model.onnx'))!)).toEqual(Buffer.from(binary));
      await store.write('ranker/1/manifest.json', bytes('{"v":2}'));
      expect(text(await store.read('ranker/1/manifest.json'))).toBe('{"v":2}');
      expect(text(await fx.sameLocation(store).read('ranker/1/manifest.json'))).toBe('{"v":2}');
    });

    it('writeIfAbsent claims a key once and never overwrites it', async () => {
      const store = fx.newStore();
      expect(await store.writeIfAbsent('ranker/1/claim', bytes('first'))).toBe(true);
      expect(await store.writeIfAbsent('ranker/1/claim', bytes('second'))).toBe(false);
      expect(text(await store.read('ranker/1/claim'))).toBe('first');
    });

    it('of many concurrent claims of one key from separate stores exactly one wins', async () => {
      const first = fx.newStore();
      const stores = Array.from({ length: 6 }, () => fx.sameLocation(first));
      const won = await Promise.all(stores.map((s, i) => s.writeIfAbsent('ranker/7/claim', bytes(`writer ${i}`))));
      expect(won.filter(Boolean)).toHaveLength(1);
      expect(text(await first.read('ranker/7/claim'))).toBe(`writer ${won.indexOf(true)}`);
    });

    it('lists the keys under a prefix, recursively, relative to the store root', async () => {
      const store = fx.newStore();
      expect(await store.list('')).toEqual([]);
      for (const k of [
        'ranker/1/manifest.json',
        'ranker/1/artifacts/a/b.bin',
        'ranker/2/manifest.json',
        'rankers/1/manifest.json',
        'tower/1/x',
      ])
        await store.write(k, bytes(k));
      expect((await store.list('ranker/')).sort()).toEqual([
        'ranker/1/artifacts/a/b.bin',
        'ranker/1/manifest.json',
        'ranker/2/manifest.json',
      ]);
      expect((await store.list('')).sort()).toHaveLength(5);
      expect(await store.list('missing/')).toEqual([]);
      // Another location sees none of it.
      expect(await fx.newStore().list('')).toEqual([]);
    });

    it('holds a model registry: versions, promotion, checksums and a tampered artifact refused', async () => {
      const store = fx.newStore();
      const reg = new ModelRegistry(store);
      const trainingData = { start: '2024-01-01T00:00:00.000Z', end: '2024-02-01T00:00:00.000Z' };
      const register = (data: string) =>
        reg.register({ name: 'ranker', featureService: 'svc', trainingData, artifacts: [{ path: 'model.bin', data: bytes(data) }] });
      const [a, b] = [await register('one'), await register('two')];
      expect([a.version, b.version]).toEqual([1, 2]);
      await reg.promote('ranker', 2, { featureServiceExists: async () => true });
      const other = new ModelRegistry(fx.sameLocation(store));
      expect((await other.describe('ranker', 'production')).version).toBe(2);
      expect(text(await other.readArtifact(b, 'model.bin'))).toBe('two');
      await store.write('ranker/1/artifacts/model.bin', bytes('changed'));
      await expect(other.readArtifact(a, 'model.bin')).rejects.toMatchObject({
        code: 'MODEL_REGISTRY_ERROR',
        message: expect.stringContaining('does not match its sha256 checksum'),
      });
    });
  });
}
