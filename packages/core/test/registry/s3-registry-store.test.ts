import { randomUUID } from 'node:crypto';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/index.js';
import { type RegistryStore } from '../../src/spi.js';
import { S3RegistryStore, parseS3Uri } from '../../src/registry/s3/s3-registry-store.js';
import { startMotoServer, type MotoServer } from '../helpers/moto-server.js';
import { registryStoreConformance } from './registry-store-conformance.js';

let moto: MotoServer;
const bucket = `frec-test-${randomUUID()}`;
beforeAll(async () => {
  moto = await startMotoServer();
  await moto.createBucket(bucket);
});
afterAll(async () => moto?.stop());

const storeAt = (uri: string) => new S3RegistryStore(uri, { client: moto.client });

registryStoreConformance('S3 (moto)', () => ({
  newStore: async () => storeAt(`s3://${bucket}/${randomUUID()}/registry.json`),
  sameLocation: async (s: RegistryStore) => storeAt(s.location),
  readRaw: async (s) => {
    const { key } = parseS3Uri(s.location);
    try {
      const res = await moto.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return Buffer.from(await res.Body!.transformToByteArray());
    } catch {
      return null;
    }
  },
  writeRaw: async (s, bytes) => {
    await moto.client.send(new PutObjectCommand({ Bucket: bucket, Key: parseS3Uri(s.location).key, Body: bytes }));
  },
}));

describe('S3 registry store errors', () => {
  it('refuses a URI without a key', () => {
    expect(() => new S3RegistryStore('s3://just-a-bucket', {})).toThrow(/not a valid S3 URI.*s3:\/\/bucket\/path/s);
  });

  it('names a missing bucket', async () => {
    const store = new S3RegistryStore('s3://no-such-bucket-frec/registry.json', { endpoint: moto.endpoint });
    await expect(store.read()).rejects.toMatchObject({
      code: ErrorCode.REGISTRY_NOT_FOUND,
      message: expect.stringContaining("bucket 'no-such-bucket-frec' does not exist"),
    });
  });

  it('reports an unreachable endpoint as REGISTRY_UNAVAILABLE', async () => {
    const client = new S3Client({ endpoint: 'http://127.0.0.1:1', forcePathStyle: true, region: 'us-east-1', maxAttempts: 1 });
    const store = new S3RegistryStore(`s3://${bucket}/x.json`, { client });
    await expect(store.read()).rejects.toMatchObject({
      code: ErrorCode.REGISTRY_UNAVAILABLE,
      message: expect.stringContaining(`Cannot read registry s3://${bucket}/x.json`),
    });
    client.destroy();
  });
});
