import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';

/** A moto S3 server on a free loopback port, stopped by `stop()` (or `await using`). */
export interface MotoServer {
  endpoint: string;
  client: S3Client;
  createBucket(name: string): Promise<void>;
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Credentials moto accepts; set for child processes (`frec apply`) too. */
export const MOTO_ENV = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1' } as const;

/**
 * moto_server's own app, served one request at a time. moto checks If-Match / If-None-Match and
 * then writes as two steps; under its default threaded server two conditional PUTs can both pass
 * the check (seen in 2 of 100 rounds of two read-then-write clients). S3 makes the check and the
 * write atomic, and serving requests one by one gives moto the same semantics.
 */
const SINGLE_THREADED_MOTO = `
import sys
from werkzeug.serving import run_simple
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
run_simple('127.0.0.1', int(sys.argv[1]), DomainDispatcherApplication(create_backend_app), threaded=False)
`;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Starts moto's S3 server on a free loopback port and waits until it answers. */
export async function startMotoServer(): Promise<MotoServer> {
  Object.assign(process.env, MOTO_ENV);
  const port = await freePort();
  const child: ChildProcess = spawn('python3', ['-c', SINGLE_THREADED_MOTO, String(port)], { stdio: 'ignore' });
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto server exited with code ${child.exitCode} (is moto installed for python3?)`);
    try {
      const res = await fetch(`${endpoint}/moto-api/`);
      if (res.status < 500) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`moto server did not start on ${endpoint}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const client = new S3Client({ endpoint, forcePathStyle: true, region: MOTO_ENV.AWS_REGION, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const stop = async (): Promise<void> => {
    client.destroy();
    if (child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  };
  return {
    endpoint,
    client,
    createBucket: async (name) => {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
