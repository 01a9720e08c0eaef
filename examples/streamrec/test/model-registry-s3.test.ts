import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { openModelRegistry } from '@frec/serving/model-registry';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

describe('model registry on S3 (moto_server)', () => {
  let moto: ChildProcess | undefined;
  let endpoint = '';
  const env = { ...process.env };

  beforeAll(async () => {
    const port = await freePort();
    endpoint = `http://127.0.0.1:${port}`;
    moto = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_REGION: 'us-east-1',
      FREC_S3_ENDPOINT: endpoint,
    });
    const s3 = new S3Client({ endpoint, forcePathStyle: true, region: 'us-east-1' });
    for (let i = 0; ; i++) {
      try {
        await s3.send(new CreateBucketCommand({ Bucket: 'models' }));
        break;
      } catch (err) {
        if (i > 100) throw err;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }, 60_000);
  afterAll(() => {
    moto?.kill('SIGTERM');
    process.env = env;
  });

  it('registers, lists, promotes and verifies versions under an S3 prefix', async () => {
    const reg = openModelRegistry('s3://models/streamrec');
    const trainingData = { start: '2017-01-01T00:00:00.000Z', end: '2018-01-01T00:00:00.000Z' };
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
  });
});
